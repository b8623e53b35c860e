// Command-line arguments of the cluster simulator (cli.ts), parsed strictly: a bad flag is a
// UsageError naming it (exit status 2).
import {
  bootstrapModes,
  bugNames,
  isBugName,
  maxAgents,
  type BootstrapMode,
  type BugName,
} from './scenario.ts';

export interface CliOptions {
  readonly seeds: number;
  readonly start: number;
  /** Replay of exactly one seed. */
  readonly replay: boolean;
  readonly nodes: number | undefined;
  readonly bug: BugName | undefined;
  readonly modes: readonly BootstrapMode[] | undefined;
  readonly voters: readonly number[] | undefined;
  readonly trace: boolean;
}

export class UsageError extends Error {}

export const usage =
  'usage: npm run sim:cluster -- [--seeds N] [--start S0] [--seed S] [--nodes K] ' +
  `[--bug ${bugNames.join('|')}] [--modes ${bootstrapModes.join(',')}] [--voters 1,3,5] [--trace]`;

const valueFlags = ['--seeds', '--start', '--seed', '--nodes', '--bug', '--modes', '--voters'];

function integer(flag: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw)) throw new UsageError(`${flag}: expected an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max)
    throw new UsageError(`${flag}: must be between ${min} and ${max}, got ${n}`);
  return n;
}

function modesOf(raw: string): BootstrapMode[] {
  const known: readonly string[] = bootstrapModes;
  return raw.split(',').map((m) => {
    if (!known.includes(m)) {
      throw new UsageError(`--modes: unknown mode "${m}" (known: ${bootstrapModes.join(', ')})`);
    }
    return m as BootstrapMode;
  });
}

function votersOf(raw: string): number[] {
  return raw.split(',').map((v) => {
    const n = integer('--voters', v, 1, maxAgents);
    if (n % 2 === 0) throw new UsageError(`--voters: must be odd, got ${n}`);
    return n;
  });
}

export function parseArgs(argv: readonly string[]): CliOptions {
  const values = new Map<string, string>();
  let trace = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--trace') {
      trace = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    if (!valueFlags.includes(flag)) throw new UsageError(`unknown argument "${arg}"`);
    if (values.has(flag)) throw new UsageError(`${flag}: given twice`);
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '') throw new UsageError(`${flag}: missing value`);
    values.set(flag, value);
  }
  const seed = values.get('--seed');
  if (seed !== undefined && (values.has('--seeds') || values.has('--start'))) {
    throw new UsageError('--seed: replays one seed; it cannot be combined with --seeds or --start');
  }
  if (trace && seed === undefined) throw new UsageError('--trace: only with --seed');
  const bug = values.get('--bug');
  if (bug !== undefined && !isBugName(bug)) {
    throw new UsageError(`--bug: unknown bug "${bug}" (known: ${bugNames.join(', ')})`);
  }
  const seeds = values.get('--seeds');
  const start = values.get('--start');
  const nodes = values.get('--nodes');
  const modes = values.get('--modes');
  const voters = values.get('--voters');
  return {
    seeds:
      seed !== undefined ? 1 : seeds === undefined ? 100 : integer('--seeds', seeds, 1, 10_000_000),
    start:
      seed !== undefined
        ? integer('--seed', seed, 0, 0xffff_ffff)
        : start === undefined
          ? 1
          : integer('--start', start, 0, 0xffff_ffff),
    replay: seed !== undefined,
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
