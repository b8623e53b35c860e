// Runs a range of cluster-simulation seeds and fails with every violation's replay command.
import assert from 'node:assert/strict';
import { replayCommand, runScenario, type BootstrapMode } from '../../src/cluster-sim/index.ts';

/**
 * The mix CI runs: every bootstrap mode but `several` and --voters 3 or 5. The other two draw
 * known open bugs (several carriers of --bootstrap N race to two clusters; a new leader's
 * autopilot removes voters on Raft's optimistic recentActive, which --voters 1 with a
 * three-voter bootstrap hits at once); widen this once they are fixed.
 */
export const ciModes: readonly BootstrapMode[] = ['single', 'single-1', 'all'];
export const ciTargets: readonly number[] = [3, 5];

export function checkSeeds(first: number, count: number): void {
  const failures: string[] = [];
  for (let seed = first; seed < first + count; seed++) {
    const r = runScenario({ seed, modes: ciModes, targets: ciTargets });
    if (r.violation !== null) {
      const cmd = replayCommand(seed, {
        seeds: 1,
        start: seed,
        replay: true,
        nodes: undefined,
        bug: undefined,
        modes: ciModes,
        voters: ciTargets,
        trace: false,
      });
      failures.push(`${r.violation.split('\n')[0] ?? ''}\n  replay: ${cmd} --trace`);
    }
  }
  assert.deepEqual(failures, []);
}
