// Command-line arguments of the simulator (src/sim/cli.ts), parsed strictly: a bad flag is a
// UsageError naming it, which the CLI reports with exit status 2.
import { profiles } from './profiles.ts';
import type { RunResult } from './run.ts';
import { bugNames, isBugName, type BugName } from './setup.ts';

export interface CliOptions {
  readonly seeds: number;
  readonly start: number;
  /** Replay of exactly one seed (deterministic output). */
  readonly replay: boolean;
  readonly nodes: number | undefined;
  readonly steps: number | undefined;
  readonly bug: BugName | undefined;
  readonly profile: string | undefined;
  readonly trace: boolean;
}

export class UsageError extends Error {}

export const usage =
  'usage: npm run sim -- [--seeds N] [--start S0] [--seed S] [--nodes K] [--steps M] ' +
  `[--bug ${bugNames.join('|')}] [--profile ${Object.keys(profiles).join('|')}] [--trace]`;

const valueFlags = ['--seeds', '--start', '--seed', '--nodes', '--steps', '--bug', '--profile'];

function integer(flag: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw)) throw new UsageError(`${flag}: expected an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max)
    throw new UsageError(`${flag}: must be between ${min} and ${max}, got ${n}`);
  return n;
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
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      i++;
    }
    if (value === undefined || value === '') throw new UsageError(`${flag}: missing value`);
    values.set(flag, value);
  }
  const get = (flag: string): string | undefined => values.get(flag);
  const seedRaw = get('--seed');
  if (seedRaw !== undefined && (values.has('--seeds') || values.has('--start'))) {
    throw new UsageError('--seed: replays one seed; it cannot be combined with --seeds or --start');
  }
  if (trace && seedRaw === undefined) throw new UsageError('--trace: only with --seed');
  const maxSeed = 0xffff_ffff;
  const seeds = get('--seeds');
  const start = get('--start');
  const nodes = get('--nodes');
  const steps = get('--steps');
  const bug = get('--bug');
  if (bug !== undefined && !isBugName(bug)) {
    throw new UsageError(`--bug: unknown bug "${bug}" (known: ${bugNames.join(', ')})`);
  }
  const profile = get('--profile');
  if (profile !== undefined && profiles[profile] === undefined) {
    throw new UsageError(
      `--profile: unknown profile "${profile}" (known: ${Object.keys(profiles).join(', ')})`,
    );
  }
  return {
    seeds:
      seedRaw !== undefined
        ? 1
        : seeds === undefined
          ? 100
          : integer('--seeds', seeds, 1, 10_000_000),
    start:
      seedRaw !== undefined
        ? integer('--seed', seedRaw, 0, maxSeed)
        : start === undefined
          ? 1
          : integer('--start', start, 0, maxSeed),
    replay: seedRaw !== undefined,
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
