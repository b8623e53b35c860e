// Concurrent clients through every node while the leader is SIGKILLed and restarted, twice, and
// then all three nodes are SIGKILLed at once and restarted. Afterwards every acknowledged write
// is there, nothing reported as definitely failed is, and the recorded history of the registers
// (reads, writes, value-cas, deletes; final reads included) is linearizable.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { killAllChildren, sleep, TestCluster, type Agent } from './cluster.ts';
import { Workload } from './workload.ts';

describe('e2e: crashes under concurrent clients', { timeout: 150_000 }, () => {
  const cluster = new TestCluster({ name: 'chaos', tickMs: 50 });

  after(async () => {
    await cluster.close();
    await killAllChildren();
  });

  test('leader SIGKILLed twice, then the whole cluster: no acknowledged write lost, linearizable', async () => {
    await cluster.diagnose(async () => {
      const t0 = Date.now();
      const stamp = (what: string): void => console.log(`[chaos +${Date.now() - t0} ms] ${what}`);
      await cluster.form(['n1', 'n2', 'n3']);
      stamp('cluster formed');
      const workload = new Workload({
        clients: 6,
        keys: ['k0', 'k1', 'k2', 'k3', 'k4'],
        // Mostly the agents that are up; sometimes any, so refused requests (definite
        // failures) are part of the history too.
        agents: () => {
          const up = cluster.running();
          return up.length > 0 && Math.random() < 0.8 ? up : cluster.list();
        },
        uniqueFraction: 0.2,
        thinkMs: 10,
      });
      workload.start();
      try {
        await sleep(2_500);
        for (let round = 1; round <= 2; round++) {
          const old = await cluster.leader();
          await old.kill9();
          stamp(`round ${round}: SIGKILLed leader ${old.id}`);
          const next = await cluster.leader(undefined, 20_000);
          stamp(`round ${round}: new leader ${next.id}`);
          assert.notEqual(next.id, old.id);
          await sleep(1_500);
          old.start();
          await old.waitReady();
          stamp(`round ${round}: ${old.id} restarted`);
          await sleep(2_500);
        }
        const all = cluster.list();
        await Promise.all(all.map((a) => a.kill9()));
        stamp('SIGKILLed every node');
        await sleep(500);
        for (const a of all) a.start();
        await Promise.all(all.map((a) => a.waitReady()));
        const leader: Agent = await cluster.leader(undefined, 30_000);
        stamp(`all restarted, leader ${leader.id}`);
        await sleep(3_000);
      } finally {
        await workload.stop();
        stamp(`clients stopped: ${workload.uniqueSummary()}`);
      }
      const okWrites = workload.history.counts().get('write:ok') ?? 0;
      assert.ok(okWrites >= 50, `too few acknowledged writes to mean anything (${okWrites})`);
      await workload.checkUniques(cluster.list());
      await workload.checkRegisters(cluster.list(), cluster.root);
      stamp('checked');
    });
  });
});
