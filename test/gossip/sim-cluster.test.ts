// A 1,000-node simulated cluster (memberlist's LAN settings): forming by joins, a join
// spreading, a kill detected, then 10% packet loss with paused and slow nodes. Assertions are
// on protocol invariants and bounds the protocol guarantees, never on wall-clock time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultLANConfig, suspicionTimeoutMs } from '../../src/gossip/core/index.ts';
import { runGossipSim } from '../../src/gossip/sim/run.ts';

test('1,000 nodes: join, detection, 10% loss with paused and slow nodes, convergence', (t) => {
  const nodes = 1000;
  const r = runGossipSim({
    nodes,
    seed: 7,
    lossRate: 0.1,
    faultMs: 30_000,
    pauses: 5,
    pauseMs: 5000,
    slows: 5,
    slowMs: 300,
    steadyMs: 5000,
  });
  const d = r.detections[0];
  t.diagnostic(
    `formation ${r.formationMs} ms, join ${r.joinMs} ms, detection ${JSON.stringify(d)}, ` +
      `false positives ${JSON.stringify(r.faultFalsePositives)}, heal ${r.healMs} ms, ` +
      `steady ${r.steadyBytesPerNodeSec.udp.toFixed(0)} B/s/node UDP, ${r.steps} events`,
  );
  assert.notEqual(r.formationMs, null, 'every node saw every node alive');
  assert.ok(r.joinMs !== null && r.joinMs < 10_000, 'a join reaches all 1,000 nodes in seconds');

  // Nobody may declare the victim dead before the minimum suspicion timeout, and everybody
  // must have within the maximum one (plus a probe round and dissemination).
  const min = suspicionTimeoutMs(defaultLANConfig.suspicionMult, nodes, 1000);
  const max = defaultLANConfig.suspicionMaxTimeoutMult * min;
  assert.ok(d?.firstDeadMs != null && d.firstDeadMs >= min, 'not before the minimum timeout');
  assert.ok(d.allDeadMs != null && d.allDeadMs <= max + 10_000, 'everyone within the maximum');

  assert.equal(r.faultFalsePositives.deadPairs, 0, 'no reachable node declared dead at 10% loss');
  assert.ok(r.convergence.ok, r.convergence.examples.join('; '));
  assert.ok(r.steadyBytesPerNodeSec.udp > 0 && r.steadyBytesPerNodeSec.udp < 1000);
});
