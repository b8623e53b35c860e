// Runs a range of cluster-simulation seeds and fails with every violation's replay command.
import assert from 'node:assert/strict';
import {
  replayCommand,
  runScenario,
  safeBootstrapModes,
  type BootstrapMode,
} from '../../src/cluster-sim/index.ts';

/**
 * The mix CI runs: every documented-safe bootstrap layout (the simulator's default mix; the
 * `unsafe` mode may make two clusters by design, see src/cluster/bootstrap.ts) and --voters 1, 3
 * and 5.
 */
export const ciModes: readonly BootstrapMode[] = safeBootstrapModes;
export const ciTargets: readonly number[] = [1, 3, 5];

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
