// GET /v1/agent/members in Consul's shape (Status 1 alive, 4 failed) and GET
// /v1/sappers/cluster (leader, term, servers with voter flag, members), over a real
// in-process cluster whose backend stands in for gossip.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ClusterJson, ConsulMember } from '../../src/api/index.ts';
import { raftAddr } from './backend.ts';
import type { Harness } from './helpers.ts';
import { get, harness, TEST_TIMEOUT } from './helpers.ts';

describe('members and cluster endpoints', TEST_TIMEOUT, () => {
  let h: Harness;
  const ids = ['n1', 'n2', 'n3'];
  before(async () => {
    h = await harness(ids);
  });
  after(async () => {
    await h.close();
  });

  test('/v1/agent/members: Consul fields, Status 1 while alive and 4 once failed', async () => {
    const res = await get(h.app, '/v1/agent/members');
    assert.equal(res.statusCode, 200);
    const members = res.json<ConsulMember[]>();
    assert.deepEqual(
      members.map((m) => [m.Name, m.Status, m.Tags['raft_addr']]),
      ids.map((id) => [id, 1, raftAddr(id)]),
    );
    for (const m of members) {
      assert.deepEqual(Object.keys(m).sort(), ['Addr', 'Name', 'Port', 'Status', 'Tags']);
      assert.equal(typeof m.Port, 'number');
    }
    const victim = ids.find((id) => id !== h.leader) ?? '';
    h.cluster.kill(victim);
    const after = (await get(h.app, '/v1/agent/members')).json<ConsulMember[]>();
    assert.equal(after.find((m) => m.Name === victim)?.Status, 4);
  });

  test('/v1/sappers/cluster: leader, term, commit index, voters and members', async () => {
    const res = await get(h.app, '/v1/sappers/cluster');
    assert.equal(res.statusCode, 200);
    const c = res.json<ClusterJson>();
    assert.equal(c.Leader, h.leader);
    assert.ok(c.Term >= 1 && c.CommitIndex >= 1);
    assert.deepEqual(
      c.Servers.map((s) => [s.ID, s.Voter, s.Address]).sort(),
      ids.map((id) => [id, true, raftAddr(id)]),
    );
    const self = c.Servers.find((s) => s.ID === h.leader);
    assert.equal(self?.Healthy, true);
    assert.equal(self?.LastContactMs, 0);
    assert.deepEqual(
      c.Members.map((m) => m.Name),
      ids,
    );
  });
});
