// The simulator's memory plan: the estimate grows as N^2, the largest fitting cluster inverts
// it, a cluster far beyond the machine is refused unless forced, and the CLI takes --force.
import assert from 'node:assert/strict';
import { totalmem } from 'node:os';
import { test } from 'node:test';
import { parseCli } from '../../src/gossip/sim/cli-args.ts';
import { estimatedPeakBytes, largestFitting, planHeap } from '../../src/gossip/sim/memory.ts';

test('the estimate is quadratic and largestFitting inverts it', () => {
  const extra = estimatedPeakBytes(2000) - estimatedPeakBytes(1000);
  assert.equal(estimatedPeakBytes(3000) - estimatedPeakBytes(2000), (5 / 3) * extra);
  for (const n of [3, 100, 1000, 4321, 10_000]) {
    assert.equal(largestFitting(estimatedPeakBytes(n)), n);
    assert.ok(largestFitting(estimatedPeakBytes(n) - 1) < n);
  }
});

test('a cluster needing more than the machine is refused, unless forced', () => {
  const nodes = largestFitting(totalmem() * 4);
  const plan = planHeap(nodes, false);
  assert.equal(plan.kind, 'too-big');
  assert.ok(plan.kind === 'too-big' && plan.needBytes > plan.haveBytes);
  assert.equal(planHeap(nodes, true).kind, 'reexec');
  assert.equal(planHeap(100, false).kind, 'fits');
});

test('--force is a flag of the CLI', () => {
  assert.equal(parseCli(['--nodes', '10000', '--force']).force, true);
  assert.equal(parseCli(['--nodes', '10000']).force, false);
});
