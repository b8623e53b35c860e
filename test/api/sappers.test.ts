// /v1/sappers endpoints and how backend failures reach clients, on a real one-node cluster.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ApiBackend } from '../../src/api/backend.ts';
import { RaftError } from '../../src/raft/index.ts';
import type { Harness } from './helpers.ts';
import { apiFor, get, harness, put, TEST_TIMEOUT } from './helpers.ts';

describe('sappers endpoints and backend failures', TEST_TIMEOUT, () => {
  let h: Harness;
  let backend: ApiBackend;
  before(async () => {
    h = await harness(['n1']);
    backend = h.cluster.backend(h.leader);
    await put(h.app, '/v1/kv/s', 'v');
  });
  after(async () => {
    await h.close();
  });

  test('POST /v1/sappers/snapshot answers Index, Term and Path', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/v1/sappers/snapshot' });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<{ Index: number; Term: number; Path: string }>();
    assert.deepEqual(Object.keys(body), ['Index', 'Term', 'Path']);
    assert.equal(body.Index, backend.state.lastApplied);
    assert.equal(body.Term, backend.raftStatus().term);
    assert.match(body.Path, /snapshot-/);
    // Nothing applied since: nothing new to snapshot.
    const again = await h.app.inject({ method: 'POST', url: '/v1/sappers/snapshot' });
    assert.equal(again.statusCode, 409);
    assert.match(again.json<{ error: string }>().error, /nothing new/);
  });

  /** The real backend, except that every proposal's outcome is unknown. */
  function timingOut(): ApiBackend {
    const b = backend;
    return {
      nodeId: b.nodeId,
      state: b.state,
      watch: b.watch,
      propose: () =>
        Promise.reject(new RaftError('PROPOSAL_DROPPED', 'outcome unknown after 5 ms')),
      readBarrier: (t) => b.readBarrier(t),
      raftStatus: () => b.raftStatus(),
      peers: () => b.peers(),
      leaderRaftAddr: () => b.leaderRaftAddr(),
      lastContactMs: () => b.lastContactMs(),
      join: () => Promise.reject(new RaftError('CONF_CHANGE_PENDING', 'change pending')),
      removePeer: (id, t) => b.removePeer(id, t),
      triggerSnapshot: () => Promise.reject(new Error('disk full')),
      gossipMembers: () => b.gossipMembers(),
      clusterInfo: () => b.clusterInfo(),
      metrics: () => b.metrics(),
    };
  }

  test('a write whose outcome is unknown is 500 saying so; the data is unchanged', async () => {
    const app = apiFor(timingOut());
    const res = await put(app, '/v1/kv/s', 'new');
    assert.equal(res.statusCode, 500);
    assert.match(res.body, /outcome unknown/i);
    assert.match(res.body, /may or may not/);
    assert.equal((await get(app, '/v1/kv/s?raw')).body, 'v');
    await app.close();
  });

  test('a pending membership change is 409; an unexpected failure is a logged 500', async () => {
    const app = apiFor(timingOut());
    const join = await app.inject({
      method: 'POST',
      url: '/join',
      payload: { id: 'n9', addr: '127.0.0.1:12009' },
    });
    assert.equal(join.statusCode, 409);
    const snap = await app.inject({ method: 'POST', url: '/v1/sappers/snapshot' });
    assert.equal(snap.statusCode, 500);
    assert.match(snap.body, /disk full/);
    await app.close();
  });
});
