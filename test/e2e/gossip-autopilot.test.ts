// Failure detection and autopilot with real processes: five agents, --voters 3. The two agents
// started without --bootstrap become replicas by themselves. SIGKILL a voter: every other agent
// lists it with Consul's Status 4 (failed), and autopilot brings the voters back to three
// without it; SIGKILL the leader: a new leader is elected and promotes the last replica. Writes
// keep working after each fault.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { killAllChildren, mustHttp, TestCluster, waitFor, type Agent } from './cluster.ts';

interface Server {
  ID: string;
  Voter: boolean;
}

async function servers(a: Agent): Promise<Server[]> {
  const body = (await mustHttp(a.httpAddr, 'GET', '/v1/sappers/cluster')).body;
  return (JSON.parse(body) as { Servers: Server[] }).Servers;
}

async function statusOf(a: Agent, name: string): Promise<number | undefined> {
  const body = (await mustHttp(a.httpAddr, 'GET', '/v1/agent/members')).body;
  return (JSON.parse(body) as { Name: string; Status: number }[]).find((m) => m.Name === name)
    ?.Status;
}

describe('e2e: gossip failure detection and autopilot', { timeout: 90_000 }, () => {
  const cluster = new TestCluster({
    name: 'gossip-autopilot',
    tickMs: 50,
    extraArgs: [
      '--voters',
      '3',
      '--autopilot-stabilization-ms',
      '1000',
      '--autopilot-failed-grace-ms',
      '1000',
    ],
  });

  after(async () => {
    await cluster.close();
    await killAllChildren();
  });

  /** Waits until the leader among `alive` has three voters, none of them in `gone`. */
  async function threeVoters(alive: Agent[], gone: string[]): Promise<string[]> {
    return waitFor(`three voters without ${gone.join(',')}`, 40_000, async () => {
      const leader = await cluster.leader(alive, 5_000);
      const v = (await servers(leader)).filter((s) => s.Voter).map((s) => s.ID);
      return v.length === 3 && !v.some((id) => gone.includes(id)) ? v.sort() : undefined;
    });
  }

  test('a killed voter is marked failed and replaced; a killed leader too', async () => {
    await cluster.diagnose(async () => {
      await cluster.form(['a1', 'a2', 'a3'], '3');
      const a4 = await cluster.define('a4');
      const a5 = await cluster.define('a5');
      a4.start();
      a5.start();
      await Promise.all([a4.waitReady(), a5.waitReady()]);
      await waitFor('a4 and a5 to be replicas', 20_000, async () => {
        const s = await servers(await cluster.leader());
        const learners = s.filter((x) => !x.Voter).map((x) => x.ID);
        return learners.includes('a4') && learners.includes('a5') ? true : undefined;
      });

      const leader = await cluster.leader();
      const victim = cluster.list().find((a) => a !== leader && ['a1', 'a2', 'a3'].includes(a.id));
      assert.ok(victim !== undefined);
      await victim.kill9();
      const rest = cluster.running();
      for (const a of rest) {
        await waitFor(`${a.id} to mark ${victim.id} failed`, 30_000, async () =>
          (await statusOf(a, victim.id)) === 4 ? true : undefined,
        );
      }
      const voters = await threeVoters(rest, [victim.id]);
      console.log(`after SIGKILL of ${victim.id}: voters ${voters.join(',')}`);
      const l2 = await cluster.leader(rest);
      await mustHttp(l2.httpAddr, 'PUT', '/v1/kv/after-voter', { body: 'ok' });

      await l2.kill9();
      const survivors = cluster.running();
      const l3 = await cluster.leader(survivors, 20_000);
      assert.notEqual(l3.id, l2.id);
      const voters3 = await threeVoters(survivors, [victim.id, l2.id]);
      console.log(`after SIGKILL of leader ${l2.id}: leader ${l3.id}, voters ${voters3.join(',')}`);
      await mustHttp(l3.httpAddr, 'PUT', '/v1/kv/after-leader', { body: 'ok' });
      for (const a of survivors) {
        const got = await mustHttp(a.httpAddr, 'GET', '/v1/kv/after-voter?raw');
        assert.equal(got.body, 'ok');
      }
      const log = survivors.flatMap((a) => a.logLines());
      assert.ok(
        log.some((l) => l['autopilot'] === 'promote'),
        'autopilot logged a promotion',
      );
    });
  });
});
