// The seed's steps 2, 3, 6 and 8 typed as its README types them (./sappers, ":PORT" addresses,
// ./raft/<node>), only the ports changed and --join naming node1's gossip port instead of the
// default 127.0.0.1:7946 — and no POST /join anywhere: node1 (--bootstrap 3) waits until gossip
// shows three agents, no leader exists before that, the three form a cluster, and node4,
// started after many writes and a compaction, becomes a replica holding every key.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  http,
  killAllChildren,
  mustHttp,
  sleep,
  TestCluster,
  waitFor,
  type Agent,
} from './cluster.ts';

interface Member {
  Name: string;
  Status: number;
  Tags: Record<string, string>;
}

async function members(a: Agent): Promise<Member[]> {
  return JSON.parse((await mustHttp(a.httpAddr, 'GET', '/v1/agent/members')).body) as Member[];
}

async function aliveNames(a: Agent): Promise<string[]> {
  return (await members(a))
    .filter((m) => m.Status === 1)
    .map((m) => m.Name)
    .sort();
}

interface ClusterJson {
  ClusterId: string | null;
  Leader: string | null;
  Servers: { ID: string; Voter: boolean }[];
}

async function clusterOf(a: Agent): Promise<ClusterJson> {
  return JSON.parse((await mustHttp(a.httpAddr, 'GET', '/v1/sappers/cluster')).body) as ClusterJson;
}

const KEYS = 120;

describe('e2e: the seed steps form a cluster by gossip, no /join', { timeout: 60_000 }, () => {
  const cluster = new TestCluster({
    name: 'gossip-seed',
    seedForm: true,
    tickMs: 50,
    extraArgs: ['--snapshot-threshold', '40', '--snapshot-trailing', '5'],
  });

  after(async () => {
    await cluster.close();
    await killAllChildren();
  });

  test('bootstrap 3 waits for three agents; node4 becomes a replica with every key', async () => {
    await cluster.diagnose(async () => {
      const [node1, node2, node3, node4] = await Promise.all(
        ['node1', 'node2', 'node3', 'node4'].map((id) => cluster.define(id)),
      );
      assert.ok(node1 && node2 && node3 && node4);
      node1.start(['--bootstrap', '3']);
      node2.start();
      await Promise.all([node1.waitReady(), node2.waitReady()]);
      await waitFor('node1 and node2 to see each other', 15_000, async () =>
        (await aliveNames(node1)).join() === 'node1,node2' ? true : undefined,
      );
      await sleep(1_500);
      assert.equal(await node1.leaderAddr(), '', 'no leader with two of three agents');
      assert.equal(await node2.leaderAddr(), '');
      assert.ok(
        !node1.logLines().some((l) => l['msg'] === 'bootstrapped a new cluster'),
        'node1 has not bootstrapped yet',
      );

      node3.start();
      await node3.waitReady();
      await cluster.voters(['node1', 'node2', 'node3']);
      const leader = await cluster.leader();
      for (const a of [node1, node2, node3]) {
        await waitFor(`${a.id} to list three alive members`, 10_000, async () =>
          (await aliveNames(a)).join() === 'node1,node2,node3' ? true : undefined,
        );
      }
      const tags = (await members(node2)).find((m) => m.Name === 'node3')?.Tags;
      assert.equal(tags?.['raft_addr'], node3.raftAddr);
      assert.equal(tags?.['role'], 'sappers');
      assert.equal(
        node1.logLines().filter((l) => l['msg'] === 'bootstrapped a new cluster').length,
        1,
      );

      for (let i = 0; i < KEYS; i++) {
        const via = [node1, node2, node3][i % 3] ?? leader;
        await mustHttp(via.httpAddr, 'PUT', `/v1/kv/seed/k${i}`, { body: `v${i}` });
      }
      const clusterId = (await clusterOf(leader)).ClusterId;
      assert.ok(clusterId !== null && clusterId.length > 0, 'the cluster has an id');

      // Step 8: node4, no --bootstrap, no /join.
      node4.start();
      await node4.waitReady();
      await waitFor('node4 to be a replica (non-voter)', 30_000, async () => {
        const c = await clusterOf(leader);
        const s = c.Servers.find((x) => x.ID === 'node4');
        return s !== undefined && !s.Voter ? true : undefined;
      });
      await waitFor('node4 to hold every key', 30_000, async () => {
        const o = await http(node4.httpAddr, 'GET', '/v1/kv/seed/?recurse&stale');
        if (o.kind !== 'response' || o.status !== 200) return undefined;
        return (JSON.parse(o.body) as unknown[]).length === KEYS ? true : undefined;
      });
      for (const i of [0, 1, KEYS - 1]) {
        const got = await mustHttp(node4.httpAddr, 'GET', `/v1/kv/seed/k${i}?raw&stale`);
        assert.equal(got.body, `v${i}`);
      }
      assert.ok(
        node4.logLines().some((l) => l['msg'] === 'installed a snapshot from the leader'),
        'node4 caught up from a snapshot',
      );
      const c4 = await clusterOf(node4);
      assert.equal(c4.ClusterId, clusterId);
      assert.deepEqual(
        c4.Servers.filter((s) => s.Voter)
          .map((s) => s.ID)
          .sort(),
        ['node1', 'node2', 'node3'],
        'still three voters (--voters 3)',
      );
      assert.deepEqual(await aliveNames(node4), ['node1', 'node2', 'node3', 'node4']);
    });
  });
});
