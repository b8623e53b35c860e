// Simulation seeds 501-1000 (CI runs 2,000 seeds across seeds-1..4, in parallel files).
import { describe, it } from 'node:test';
import { assertCoverage, assertNoViolations, runRange } from './seed-range.ts';

describe('simulation seeds 501-1000', () => {
  it('finds no violation and exercises every fault', (t) => {
    const summary = runRange(501, 500);
    assertNoViolations(summary);
    assertCoverage(summary);
    t.diagnostic(`${summary.cpuMsPerSeed.toFixed(1)} ms CPU per seed`);
  });
});
