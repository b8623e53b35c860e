// Command-line arguments of the cluster simulator (cli.ts), parsed strictly: a bad flag is a
// UsageError naming it (exit status 2).
import {
  choice,
  integer,
  scanSeedFlags,
  seedRange,
  UsageError,
  type SeedRange,
} from '../sim/cli-common.ts';
import {
  bootstrapModes,
  bugNames,
  maxAgents,
  type BootstrapMode,
  type BugName,
} from './scenario.ts';

export interface CliOptions extends SeedRange {
  readonly nodes: number | undefined;
  readonly bug: BugName | undefined;
  readonly modes: readonly BootstrapMode[] | undefined;
  readonly voters: readonly number[] | undefined;
  readonly trace: boolean;
}

export { UsageError };

export const usage =
  'usage: npm run sim:cluster -- [--seeds N] [--start S0] [--seed S] [--nodes K] ' +
  `[--bug ${bugNames.join('|')}] [--modes ${bootstrapModes.join(',')}] [--voters 1,3,5] [--trace]`;

const valueFlags = ['--seeds', '--start', '--seed', '--nodes', '--bug', '--modes', '--voters'];

function modesOf(raw: string): BootstrapMode[] {
  return raw.split(',').map((m) => choice('--modes', 'mode', m, bootstrapModes));
}

function votersOf(raw: string): number[] {
  return raw.split(',').map((v) => {
    const n = integer('--voters', v, 1, maxAgents);
    if (n % 2 === 0) throw new UsageError(`--voters: must be odd, got ${n}`);
    return n;
  });
}

export function parseArgs(argv: readonly string[]): CliOptions {
  const { values, trace } = scanSeedFlags(argv, valueFlags);
  const bug = choice('--bug', 'bug', values.get('--bug'), bugNames);
  const range = seedRange(values);
  const nodes = values.get('--nodes');
  const modes = values.get('--modes');
  const voters = values.get('--voters');
  return {
    ...range,
    nodes: nodes === undefined ? undefined : integer('--nodes', nodes, 1, maxAgents),
    bug,
    modes: modes === undefined ? undefined : modesOf(modes),
    voters: voters === undefined ? undefined : votersOf(voters),
    trace,
  };
}

/** The command that replays one seed exactly. */
export function replayCommand(seed: number, o: CliOptions): string {
  const parts = ['npm run sim:cluster --', `--seed ${seed}`];
  if (o.nodes !== undefined) parts.push(`--nodes ${o.nodes}`);
  if (o.bug !== undefined) parts.push(`--bug ${o.bug}`);
  if (o.modes !== undefined) parts.push(`--modes ${o.modes.join(',')}`);
  if (o.voters !== undefined) parts.push(`--voters ${o.voters.join(',')}`);
  return parts.join(' ');
}
