import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runSeed } from '../../src/sim/run.ts';
import { makeSetup } from '../../src/sim/setup.ts';

describe('determinism', () => {
  it('replays a seed exactly: same trace, same result', () => {
    for (const seed of [3, 4]) {
      const a = runSeed({ seed, trace: true });
      const b = runSeed({ seed, trace: true });
      assert.ok(a.trace.length > 1000);
      assert.deepEqual(a.trace, b.trace);
      assert.deepEqual(a, b);
    }
  });

  it('gives different runs for different seeds', () => {
    const a = runSeed({ seed: 10, trace: true, nodes: 3, profile: 'mixed' });
    const b = runSeed({ seed: 11, trace: true, nodes: 3, profile: 'mixed' });
    assert.notDeepEqual(a.trace, b.trace);
  });

  it('does not depend on tracing', () => {
    const traced = runSeed({ seed: 5, trace: true });
    const plain = runSeed({ seed: 5 });
    assert.deepEqual({ ...traced, trace: [] }, plain);
  });

  it('keeps the other seeded parameters when --nodes or --profile overrides one', () => {
    const picked = makeSetup(21);
    const same = makeSetup(21, { nodes: picked.nodes, profile: picked.profileName });
    assert.deepEqual(same, picked);
    const other = makeSetup(21, { nodes: picked.nodes === 3 ? 5 : 3 });
    assert.equal(other.cluster.network.maxDelay, picked.cluster.network.maxDelay);
    assert.deepEqual(other.clients, picked.clients);
    const r1 = runSeed({ seed: 21 });
    const r2 = runSeed({ seed: 21, nodes: r1.nodes, profile: r1.profile });
    assert.deepEqual(r1, r2);
  });
});
