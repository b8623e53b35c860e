// Builds histories that are linearizable by construction: every operation that takes effect does
// so at one instant (its linearization point) strictly inside its call..return interval (or, for
// info operations, at any instant after the call), and results come from applying operations to
// real registers in linearization-point order.
import type { HistoryEvent, OpName } from '../../src/lincheck/index.ts';

/** How an operation ends: with its computed result, a failure, info, or no completion at all. */
export type Ending = 'result' | 'fail' | 'info' | 'none';

export interface PlannedOp {
  readonly process: number;
  readonly f: OpName;
  readonly key: string;
  /** Invoke value: the written string, [expected, new] for cas, null otherwise. */
  readonly value: HistoryEvent['value'];
  readonly call: number;
  readonly ret: number;
  /** When the operation takes effect; undefined if it never does. */
  readonly point: number | undefined;
  readonly ending: Ending;
}

interface Outcome {
  readonly read: string | null;
  readonly swapped: boolean;
}

function apply(ops: readonly PlannedOp[]): Map<PlannedOp, Outcome> {
  const registers = new Map<string, string | null>();
  const outcomes = new Map<PlannedOp, Outcome>();
  const effective = ops.filter((op) => op.point !== undefined);
  effective.sort((a, b) => (a.point ?? 0) - (b.point ?? 0));
  for (const op of effective) {
    const current = registers.get(op.key) ?? null;
    const v = op.value;
    const swapped = op.f === 'cas' && Array.isArray(v) && current === v[0];
    outcomes.set(op, { read: current, swapped });
    if (op.f === 'write' && typeof v === 'string') registers.set(op.key, v);
    if (op.f === 'delete') registers.set(op.key, null);
    if (swapped && Array.isArray(v)) registers.set(op.key, v[1]);
  }
  return outcomes;
}

function completion(op: PlannedOp, outcome: Outcome | undefined): HistoryEvent | undefined {
  const base = { process: op.process, f: op.f, key: op.key, time: op.ret };
  if (op.ending === 'none') return undefined;
  if (op.ending === 'fail' || op.ending === 'info')
    return { ...base, type: op.ending, value: op.value };
  if (outcome === undefined) throw new Error('an operation with a result must take effect');
  if (op.f === 'read') return { ...base, type: 'ok', value: outcome.read };
  if (op.f === 'cas') return { ...base, type: outcome.swapped ? 'ok' : 'fail', value: op.value };
  return { ...base, type: 'ok', value: op.value };
}

/** The history of the planned operations, events sorted by time (ties keep plan order). */
export function execute(ops: readonly PlannedOp[]): HistoryEvent[] {
  const outcomes = apply(ops);
  const events: HistoryEvent[] = [];
  for (const op of ops) {
    events.push({
      process: op.process,
      type: 'invoke',
      f: op.f,
      key: op.key,
      value: op.value,
      time: op.call,
    });
    const end = completion(op, outcomes.get(op));
    if (end !== undefined) events.push(end);
  }
  return events.sort((a, b) => a.time - b.time);
}

/** A small seeded generator (mulberry32), so failures reproduce. */
export function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SimulationOptions {
  readonly seed: number;
  readonly processes: number;
  readonly keys: number;
  readonly operations: number;
  /** Fraction of operations whose outcome is unknown (info, or no completion at the end). */
  readonly infoRate: number;
  /** Fraction of writes, deletes and reads that fail (take no effect). */
  readonly failRate: number;
}

/** Concurrent clients: each process runs operations back to back with random durations. */
export function simulate(options: SimulationOptions): HistoryEvent[] {
  const rand = random(options.seed);
  const pick = (n: number): number => Math.floor(rand() * n);
  const clocks = new Array<number>(options.processes).fill(0);
  const recent = new Map<string, string[]>();
  const planned: PlannedOp[] = [];
  for (let i = 0; i < options.operations; i++) {
    const process = pick(options.processes);
    const key = `k${pick(options.keys)}`;
    const call = (clocks[process] ?? 0) + pick(20);
    const ret = call + 1 + pick(100);
    clocks[process] = ret + 1;
    const values = recent.get(key) ?? [];
    recent.set(key, values);
    const fresh = `p${process}-${i}`;
    const roll = rand();
    const f: OpName = roll < 0.4 ? 'read' : roll < 0.7 ? 'write' : roll < 0.9 ? 'cas' : 'delete';
    const expected = values[values.length - 1 - pick(3)] ?? fresh;
    const value =
      f === 'write' ? fresh : f === 'cas' ? ([expected, fresh] as [string, string]) : null;
    if (f === 'write' || f === 'cas') values.push(fresh);
    const inside = call + (0.001 + 0.998 * rand()) * (ret - call);
    const info = rand() < options.infoRate;
    const failed = !info && f !== 'cas' && rand() < options.failRate;
    const late = inside + rand() * 300; // an info operation may take effect after it "returned"
    const point = failed ? undefined : info ? (rand() < 0.5 ? late : undefined) : inside;
    const ending: Ending = info ? 'info' : failed ? 'fail' : 'result';
    planned.push({ process, f, key, value, call, ret, point, ending });
  }
  return execute(withUnfinishedTails(planned, rand));
}

/** Some processes' last info operation loses its completion too (the client crashed). */
function withUnfinishedTails(planned: readonly PlannedOp[], rand: () => number): PlannedOp[] {
  const last = new Map<number, number>();
  planned.forEach((op, i) => last.set(op.process, i));
  const tails = new Set(last.values());
  return planned.map((op, i) =>
    tails.has(i) && op.ending === 'info' && rand() < 0.5 ? { ...op, ending: 'none' } : op,
  );
}
