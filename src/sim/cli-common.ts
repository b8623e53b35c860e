// What the two seeded-simulation CLIs (src/sim/cli.ts and src/cluster-sim/cli.ts) share: strict
// flag scanning, the --seeds/--start/--seed range, and the loop that runs seeds and prints a
// summary line followed by the command that replays each failing seed.

export class UsageError extends Error {}

export const maxSeed = 0xffff_ffff;
const maxSeeds = 10_000_000;

export function integer(flag: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw)) throw new UsageError(`${flag}: expected an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max)
    throw new UsageError(`${flag}: must be between ${min} and ${max}, got ${n}`);
  return n;
}

export interface ScannedFlags {
  readonly values: ReadonlyMap<string, string>;
  readonly trace: boolean;
}

/** `--flag value` or `--flag=value` for each of valueFlags (at most once), plus `--trace`. */
function scanFlags(argv: readonly string[], valueFlags: readonly string[]): ScannedFlags {
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
  return { values, trace };
}

/**
 * scanFlags, then rejects --seed combined with --seeds/--start, and --trace without --seed.
 */
export function scanSeedFlags(
  argv: readonly string[],
  valueFlags: readonly string[],
): ScannedFlags {
  const scanned = scanFlags(argv, valueFlags);
  const { values, trace } = scanned;
  const seed = values.get('--seed');
  if (seed !== undefined && (values.has('--seeds') || values.has('--start'))) {
    throw new UsageError('--seed: replays one seed; it cannot be combined with --seeds or --start');
  }
  if (trace && seed === undefined) throw new UsageError('--trace: only with --seed');
  return scanned;
}

/** `raw` if it is one of `known` (undefined stays undefined); else a UsageError naming `flag`. */
export function choice<T extends string>(
  flag: string,
  noun: string,
  raw: string,
  known: readonly T[],
): T;
export function choice<T extends string>(
  flag: string,
  noun: string,
  raw: string | undefined,
  known: readonly T[],
): T | undefined;
export function choice<T extends string>(
  flag: string,
  noun: string,
  raw: string | undefined,
  known: readonly T[],
): T | undefined {
  if (raw === undefined) return undefined;
  if (!(known as readonly string[]).includes(raw)) {
    throw new UsageError(`${flag}: unknown ${noun} "${raw}" (known: ${known.join(', ')})`);
  }
  return raw as T;
}

export interface SeedRange {
  readonly seeds: number;
  readonly start: number;
  /** Replay of exactly one seed (deterministic output). */
  readonly replay: boolean;
}

/** The seeds to run: `--seed S` alone, or `--seeds N` (default 100) from `--start S0` (default 1). */
export function seedRange(values: ReadonlyMap<string, string>): SeedRange {
  const seed = values.get('--seed');
  if (seed !== undefined)
    return { seeds: 1, start: integer('--seed', seed, 0, maxSeed), replay: true };
  const seeds = values.get('--seeds');
  const start = values.get('--start');
  return {
    seeds: seeds === undefined ? 100 : integer('--seeds', seeds, 1, maxSeeds),
    start: start === undefined ? 1 : integer('--start', start, 0, maxSeed),
    replay: false,
  };
}

/** `k=v` pairs sorted by key. */
export function formatCounts(c: Readonly<Record<string, number>>): string {
  return Object.entries(c)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

export function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Parses argv; on a UsageError prints `name: message` and the usage to stderr (exit status 2). */
export function parseOrUsage<O>(
  name: string,
  usage: string,
  parse: () => O,
): { readonly options: O } | { readonly exitCode: 2 } {
  try {
    return { options: parse() };
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${name}: ${err.message}\n${usage}\n`);
    return { exitCode: 2 };
  }
}

export interface SeedLoop<R> {
  readonly range: SeedRange;
  /** A progress line after every this many seeds (not when replaying). */
  readonly progressEvery: number;
  run(seed: number): R;
  violation(r: R): string | null;
  /** What a replay prints before the violation (if any). */
  replayLines(r: R): readonly string[];
  /** What stands in parentheses in the one-line report of a failing seed. */
  label(r: R): string;
  replayCommand(seed: number, r: R): string;
  /** Called for every result, e.g. to collect notes printed by notes(). */
  onResult?(seed: number, r: R): void;
  /** Lines printed before the summary line. */
  notes?(): readonly string[];
}

/** Runs the seeds and prints; the exit status: 0 all passed, 1 violations. */
export function runSeeds<R>(loop: SeedLoop<R>): number {
  const { seeds, start, replay } = loop.range;
  const failed: { readonly seed: number; readonly result: R }[] = [];
  const began = performance.now();
  for (let i = 0; i < seeds; i++) {
    const seed = start + i;
    const r = loop.run(seed);
    const violation = loop.violation(r);
    if (replay) {
      for (const line of loop.replayLines(r)) out(line);
      if (violation !== null) out(violation);
    } else if (violation !== null) {
      out(`seed ${seed} (${loop.label(r)}): ${violation.split('\n')[0] ?? ''}`);
    }
    if (violation !== null) failed.push({ seed, result: r });
    loop.onResult?.(seed, r);
    if (!replay && (i + 1) % loop.progressEvery === 0 && i + 1 < seeds) {
      const secs = ((performance.now() - began) / 1000).toFixed(1);
      out(`... ${i + 1}/${seeds} seeds, ${failed.length} violations, ${secs}s`);
    }
  }
  for (const line of loop.notes?.() ?? []) out(line);
  out(`seeds: ${seeds}, violations: ${failed.length}`);
  for (const f of failed) out(loop.replayCommand(f.seed, f.result));
  return failed.length > 0 ? 1 : 0;
}
