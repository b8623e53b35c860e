// The API on a real three-node cluster: writes through a follower, status and operator
// endpoints, membership changes, and what clients see once a quorum is lost.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { raftAddr } from './backend.ts';
import type { Harness } from './helpers.ts';
import { apiFor, del, get, harness, header, put, TEST_TIMEOUT } from './helpers.ts';
import { poll } from './backend.ts';

describe('three-node cluster', TEST_TIMEOUT, () => {
  let h: Harness;
  let follower: string;
  let followerApp: FastifyInstance;
  const ids = ['n1', 'n2', 'n3'];
  before(async () => {
    h = await harness(ids);
    follower = ids.find((id) => id !== h.leader) ?? '';
    followerApp = apiFor(h.cluster.backend(follower));
    await followerApp.ready();
  });
  after(async () => {
    await followerApp.close();
    await h.close();
  });

  test('a write to a follower is forwarded to the leader and readable on every node', async () => {
    const w = await put(followerApp, '/v1/kv/fwd', 'via follower');
    assert.equal(w.statusCode, 200, w.body);
    assert.equal(w.body, 'true');
    for (const id of ids) {
      const app = id === follower ? followerApp : apiFor(h.cluster.backend(id));
      const res = await get(app, '/v1/kv/fwd?raw');
      assert.equal(res.body, 'via follower', `read on ${id}`);
      if (app !== followerApp) await app.close();
    }
    const res = await get(followerApp, '/v1/kv/fwd');
    assert.equal(header(res, 'X-Consul-KnownLeader'), 'true');
    assert.ok(Number(header(res, 'X-Consul-LastContact')) >= 0);
  });

  test('a default read on a follower sees a write just acknowledged by the leader', async () => {
    // Linearizability: without the read barrier the follower would often still lag here.
    const leaderApp = apiFor(h.cluster.backend(h.leader));
    for (let i = 0; i < 5; i++) {
      assert.equal((await put(leaderApp, '/v1/kv/lin', `v${i}`)).body, 'true');
      assert.equal((await get(followerApp, '/v1/kv/lin?raw')).body, `v${i}`);
    }
    await leaderApp.close();
  });

  test('a check-and-set through a follower returns the leader-side outcome', async () => {
    assert.equal((await put(followerApp, '/v1/kv/fwd?cas=0', 'again')).body, 'false');
    assert.equal((await del(followerApp, '/v1/kv/fwd?cas=1')).body, 'false');
    assert.equal((await get(followerApp, '/v1/kv/fwd?raw')).body, 'via follower');
  });

  test('status: the leader is a JSON host:port string, peers the voters', async () => {
    const leader = await get(followerApp, '/v1/status/leader');
    assert.match(header(leader, 'content-type'), /^application\/json/);
    assert.equal(leader.json(), raftAddr(h.leader));
    const peers = (await get(followerApp, '/v1/status/peers')).json<string[]>();
    assert.deepEqual([...peers].sort(), ids.map(raftAddr).sort());
  });

  test("operator raft configuration lists every server in Consul's shape", async () => {
    const res = await get(followerApp, '/v1/operator/raft/configuration');
    assert.equal(res.statusCode, 200);
    const cfg = res.json<{ Servers: Record<string, unknown>[]; Index: number }>();
    assert.ok(cfg.Index > 0);
    const byId = new Map(cfg.Servers.map((s) => [s['ID'], s]));
    for (const id of ids) {
      assert.deepEqual(byId.get(id), {
        ID: id,
        Node: id,
        Address: raftAddr(id),
        Leader: id === h.leader,
        ProtocolVersion: '3',
        Voter: true,
      });
    }
  });

  test('join adds a voter and DELETE /v1/operator/raft/peer removes it', async () => {
    const body = JSON.stringify({ id: 'n4', addr: raftAddr('n4') });
    const join = await followerApp.inject({ method: 'POST', url: '/join', payload: body });
    assert.equal(join.statusCode, 200, join.body);
    const peers = (await get(followerApp, '/v1/status/peers')).json<string[]>();
    assert.ok(peers.includes(raftAddr('n4')), JSON.stringify(peers));
    // n4 never runs; three of four voters still make a quorum, so removal commits.
    const missing = await del(followerApp, '/v1/operator/raft/peer?id=nope');
    assert.equal(missing.statusCode, 400);
    assert.equal(missing.json<{ field: string }>().field, 'id');
    const neither = await del(followerApp, '/v1/operator/raft/peer');
    assert.equal(neither.json<{ field: string }>().field, 'id');
    const rm = await del(followerApp, `/v1/operator/raft/peer?address=${raftAddr('n4')}`);
    assert.equal(rm.statusCode, 200, rm.body);
    assert.equal(rm.body, '');
    await poll(2000, 'n4 gone from the follower', () =>
      h.cluster
        .backend(follower)
        .peers()
        .some((p) => p.id === 'n4')
        ? null
        : true,
    );
    const after = (await get(followerApp, '/v1/status/peers')).json<string[]>();
    assert.deepEqual([...after].sort(), ids.map(raftAddr).sort());
  });

  test('without a quorum: writes and reads are 500 "No cluster leader", stale reads answer', async () => {
    // Keep the follower that serves `followerApp`; kill the other two, leader included.
    for (const id of ids) if (id !== follower) h.cluster.kill(id);
    const survivor = h.cluster.backend(follower);
    await poll(5000, 'the survivor to know no leader', () =>
      survivor.raftStatus().leader === null ? true : null,
    );
    const before = survivor.state.kv.index;
    const w = await put(followerApp, '/v1/kv/lost', 'x');
    assert.equal(w.statusCode, 500);
    assert.equal(w.body, 'No cluster leader');
    const d = await del(followerApp, '/v1/kv/fwd');
    assert.equal(d.body, 'No cluster leader');
    assert.equal(survivor.state.kv.index, before, 'nothing applied');
    const r = await get(followerApp, '/v1/kv/fwd');
    assert.equal(r.statusCode, 500);
    assert.equal(r.body, 'No cluster leader');
    const stale = await get(followerApp, '/v1/kv/fwd?stale&raw');
    assert.equal(stale.statusCode, 200);
    assert.equal(stale.body, 'via follower');
    assert.equal(header(stale, 'X-Consul-KnownLeader'), 'false');
    assert.equal((await get(followerApp, '/v1/kv/lost?stale')).statusCode, 404);
    assert.equal((await get(followerApp, '/v1/status/leader')).json(), '');
    const cfg = await get(followerApp, '/v1/operator/raft/configuration');
    assert.equal(cfg.body, 'No cluster leader');
    const staleCfg = await get(followerApp, '/v1/operator/raft/configuration?stale');
    assert.equal(staleCfg.statusCode, 200);
  });
});
