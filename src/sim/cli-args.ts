// Command-line arguments of the simulator (src/sim/cli.ts), parsed strictly: a bad flag is a
// UsageError naming it, which the CLI reports with exit status 2.
import {
  choice,
  integer,
  scanSeedFlags,
  seedRange,
  UsageError,
  type SeedRange,
} from './cli-common.ts';
import { profiles } from './profiles.ts';
import type { RunResult } from './run.ts';
import { bugNames, type BugName } from './setup.ts';

export interface CliOptions extends SeedRange {
  readonly nodes: number | undefined;
  readonly steps: number | undefined;
  readonly bug: BugName | undefined;
  readonly profile: string | undefined;
  readonly trace: boolean;
}

export { UsageError };

export const usage =
  'usage: npm run sim -- [--seeds N] [--start S0] [--seed S] [--nodes K] [--steps M] ' +
  `[--bug ${bugNames.join('|')}] [--profile ${Object.keys(profiles).join('|')}] [--trace]`;

const valueFlags = ['--seeds', '--start', '--seed', '--nodes', '--steps', '--bug', '--profile'];

export function parseArgs(argv: readonly string[]): CliOptions {
  const { values, trace } = scanSeedFlags(argv, valueFlags);
  const bug = choice('--bug', 'bug', values.get('--bug'), bugNames);
  const profile = choice('--profile', 'profile', values.get('--profile'), Object.keys(profiles));
  const range = seedRange(values);
  const nodes = values.get('--nodes');
  const steps = values.get('--steps');
  return {
    ...range,
    nodes: nodes === undefined ? undefined : integer('--nodes', nodes, 1, 9),
    steps: steps === undefined ? undefined : integer('--steps', steps, 1, 10_000_000),
    bug,
    profile,
    trace,
  };
}

/**
 * The command that replays one run exactly; for a failure during the fault phase, the shortest
 * one (stopping the faults at the failing step changes nothing before it).
 */
export function replayCommand(r: RunResult, o: CliOptions): string {
  const parts = ['npm run sim --', `--seed ${r.seed}`, `--nodes ${r.nodes}`];
  const steps = r.shortestReplay ?? o.steps;
  if (steps !== undefined) parts.push(`--steps ${steps}`);
  if (o.bug !== undefined) parts.push(`--bug ${o.bug}`);
  if (o.profile !== undefined) parts.push(`--profile ${o.profile}`);
  return parts.join(' ');
}
