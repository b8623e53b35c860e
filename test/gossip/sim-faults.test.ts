// Smaller simulated clusters under harsher faults: 30% packet loss, a pause longer than the
// suspicion timeout, a network partition. The invariant: once faults heal, no running node
// stays declared dead and every member list converges. Plus: a seed replays a run exactly.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GossipCluster } from '../../src/gossip/sim/cluster.ts';
import { checkConvergence } from '../../src/gossip/sim/invariants.ts';
import { runGossipSim } from '../../src/gossip/sim/run.ts';

function formed(nodes: number, seed: number): GossipCluster {
  const c = new GossipCluster({ seed });
  for (let i = 0; i < nodes; i++) {
    c.at(i * 20, () => {
      c.addNode(i);
      if (i > 0) c.join(i, [0]);
    });
  }
  c.runUntil(nodes * 20 + 10_000);
  return c;
}

/** Runs until every member list is right; the time it took, or null within `capMs`. */
function healTime(c: GossipCluster, nodes: readonly number[], capMs: number): number | null {
  const start = c.now;
  while (!checkConvergence(c, nodes, []).ok) {
    if (c.now - start > capMs) return null;
    c.runUntil(c.now + 1000);
  }
  return c.now - start;
}

describe('harsh faults heal', () => {
  test('200 nodes at 30% loss: suspicions and some false deaths, all refuted in the end', (t) => {
    const r = runGossipSim({ nodes: 200, seed: 3, lossRate: 0.3, pauses: 2, slows: 2 });
    t.diagnostic(
      `false positives ${JSON.stringify(r.faultFalsePositives)}, heal ${r.healMs} ms, ` +
        `fault traffic ${r.faultBytesPerNodeSec.udp.toFixed(0)} B/s/node`,
    );
    assert.ok(r.faultFalsePositives.suspectPairs > 0, 'loss this heavy does raise suspicions');
    assert.ok(r.faultFalsePositives.deadNodes < 20, 'Lifeguard keeps false deaths rare');
    assert.notEqual(r.healMs, null);
    assert.ok(r.convergence.ok, r.convergence.examples.join('; '));
  });

  test('a node paused past its suspicion timeout is declared dead, then refutes and is back', () => {
    const nodes = [...Array(60).keys()];
    const c = formed(60, 5);
    c.pause(7, 25_000);
    c.runUntil(c.now + 24_000);
    assert.equal(c.core(0)?.stateOf('n7'), 'dead');
    c.runUntil(c.now + 1000);
    const healed = healTime(c, nodes, 60_000);
    assert.ok(healed !== null && healed < 10_000, `back everywhere in ${healed} ms`);
    const me = c
      .core(7)
      ?.members()
      .find((m) => m.name === 'n7');
    assert.ok((me?.incarnation ?? 0) > 1, 'it refuted with a higher incarnation');
  });

  test('a 20 s partition: each side declares the other dead, and they merge after healing', () => {
    const nodes = [...Array(60).keys()];
    const c = formed(60, 4);
    c.net.partition(nodes.slice(30), 1);
    c.runUntil(c.now + 20_000);
    assert.equal(c.core(59)?.stateOf('n0'), 'dead');
    c.net.heal();
    assert.notEqual(healTime(c, nodes, 120_000), null);
  });
});

describe('determinism', () => {
  test('the same seed gives the same run; another seed a different one', () => {
    const run = (seed: number): string => {
      const r = runGossipSim({
        nodes: 40,
        seed,
        lossRate: 0.2,
        pauses: 1,
        slows: 1,
        faultMs: 10_000,
      });
      return JSON.stringify({ ...r, options: null });
    };
    assert.equal(run(11), run(11));
    assert.notEqual(run(11), run(12));
  });
});
