// SIGTERM of a voter that a replica can replace, under concurrent writes: leadership is handed
// over when it led, it leaves gossip (the others list it as left, Consul's Status 3) and the Raft
// configuration, autopilot promotes the replica so there are three voters again, it exits 0, and
// no acknowledged write is lost.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { killAllChildren, mustHttp, sleep, TestCluster, waitFor, type Agent } from './cluster.ts';
import { Workload } from './workload.ts';

async function statusOf(a: Agent, name: string): Promise<number | undefined> {
  const body = (await mustHttp(a.httpAddr, 'GET', '/v1/agent/members')).body;
  return (JSON.parse(body) as { Name: string; Status: number }[]).find((m) => m.Name === name)
    ?.Status;
}

describe('e2e: a voter leaves on SIGTERM', { timeout: 60_000 }, () => {
  const cluster = new TestCluster({
    name: 'gossip-leave',
    tickMs: 50,
    extraArgs: ['--autopilot-stabilization-ms', '1000'],
  });

  after(async () => {
    await cluster.close();
    await killAllChildren();
  });

  test('hand-over, removal, replacement, exit 0, no lost write', async () => {
    await cluster.diagnose(async () => {
      const leader = await cluster.form(['v1', 'v2', 'v3'], '3');
      const r = await cluster.define('r4');
      r.start();
      await r.waitReady();
      await waitFor('r4 to be a replica', 20_000, async () => {
        const body = (await mustHttp(leader.httpAddr, 'GET', '/v1/sappers/cluster')).body;
        const s = (JSON.parse(body) as { Servers: { ID: string; Voter: boolean }[] }).Servers;
        return s.some((x) => x.ID === 'r4' && !x.Voter) ? true : undefined;
      });
      await sleep(1_500); // r4 healthy for the stabilization time
      const workload = new Workload({
        clients: 4,
        keys: ['k0', 'k1'],
        agents: () => cluster.running(),
        uniqueFraction: 0.5,
        retryDefiniteFailures: true,
        thinkMs: 5,
      });
      workload.start();
      try {
        await sleep(1_000);
        const e = await leader.terminate(20_000);
        assert.deepEqual(e, { code: 0, signal: null });
        await sleep(1_000);
      } finally {
        await workload.stop();
      }
      const rest = cluster.running();
      await cluster.voters(rest.map((a) => a.id));
      for (const a of rest) {
        await waitFor(`${a.id} to list ${leader.id} as left`, 10_000, async () =>
          (await statusOf(a, leader.id)) === 3 ? true : undefined,
        );
      }
      const lines = leader.logLines();
      assert.ok(lines.some((l) => l['msg'] === 'transferring leadership before shutdown'));
      // It asks the leader to remove it; autopilot, seeing it leave gossip, may get there first.
      const removal = [
        'removed from the Raft configuration',
        'autopilot removed this node already',
      ];
      assert.ok(
        lines.some((l) => removal.includes(String(l['msg']))),
        'the departing voter left the Raft configuration',
      );
      await workload.checkUniques(rest);
      const failed = workload.uniques.filter((u) => u.outcome === 'fail');
      assert.deepEqual(failed, [], 'a write failed although a leader was available');
    });
  });
});
