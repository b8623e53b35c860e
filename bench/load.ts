// The closed-loop write load: `writers` concurrent loops, each sending one put and waiting for
// its answer before the next. Writes run through a warmup, then a measured window; only writes
// acknowledged inside the window count, with their latency. Bounded: no write starts after
// the window, and each waits at most `requestTimeoutMs`.
import { randomBytes } from 'node:crypto';
import { agreedLeader, memberById, type BenchCluster } from './cluster.ts';
import { cpuSnapshot, cpuUse, type CpuSnapshot, type CpuUse } from './cpu.ts';
import {
  keepAliveAgent,
  trySend,
  sleep,
  waitFor,
  type HttpRequest,
  type HttpResponse,
  type HttpTarget,
} from './http.ts';
import { RawHttpConnection } from './raw-http.ts';

export type Targeting = 'leader' | 'round-robin';

/** The load's HTTP client: the lean one (bench/raw-http.ts) or node:http with keep-alive. */
export type ClientKind = 'raw' | 'node';

export interface LoadOptions {
  readonly writers: number;
  readonly valueBytes: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly targeting: Targeting;
  /** Distinct keys per writer; keys are bench/<writer>/<n mod keysPerWriter>. */
  readonly keysPerWriter: number;
  readonly requestTimeoutMs: number;
  readonly client: ClientKind;
}

export interface LoadResult {
  readonly system: string;
  readonly targets: readonly string[];
  readonly acked: number;
  readonly errors: number;
  readonly seconds: number;
  readonly writesPerSec: number;
  /** Latency of acknowledged writes in the window, milliseconds. */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
  readonly errorSamples: readonly string[];
  /** CPU use during the measured window (null if it could not be sampled). */
  readonly cpu: CpuUse | null;
  /** Every counted latency, sorted (for combining slices). */
  readonly latencies: Float64Array;
}

/** A printable value of exactly `n` bytes (the same bytes for every write and both systems). */
export function makeValue(n: number): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const raw = randomBytes(n);
  return Buffer.from(Array.from(raw, (b) => alphabet.charCodeAt(b % alphabet.length)));
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

export async function runLoad(c: BenchCluster, o: LoadOptions): Promise<LoadResult> {
  const leader = await waitFor(`${c.system} to agree on a leader`, 30_000, () => agreedLeader(c));
  const targetIds = o.targeting === 'leader' ? [leader] : c.members.map((m) => m.id);
  const targets: HttpTarget[] = targetIds.map((id) => memberById(c, id).http);
  const agent = keepAliveAgent(o.writers);
  const raw: RawHttpConnection[] = [];
  /** One writer's way to send: its own raw connection per target, or the shared agent. */
  const senderFor = (): ((t: HttpTarget, r: HttpRequest) => Promise<HttpResponse>) => {
    if (o.client === 'node') return (t, r) => trySend(agent, t, r, o.requestTimeoutMs);
    const conns = new Map<HttpTarget, RawHttpConnection>();
    return async (t, r) => {
      let conn = conns.get(t);
      if (conn === undefined) {
        conn = new RawHttpConnection(t);
        conns.set(t, conn);
        raw.push(conn);
      }
      try {
        return await conn.send(r, o.requestTimeoutMs);
      } catch (err) {
        return { status: 0, body: err instanceof Error ? err.message : String(err) };
      }
    };
  };
  const value = makeValue(o.valueBytes);
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  let errors = 0;
  const errorSamples: string[] = [];
  const start = performance.now();
  const measureFrom = start + o.warmupMs;
  const measureTo = measureFrom + o.durationMs;

  // CPU accounting at the window's edges.
  let cpuFrom: CpuSnapshot | null = null;
  let cpuTo: CpuSnapshot | null = null;
  const t1 = setTimeout(() => (cpuFrom = cpuSnapshot(c.pids())), o.warmupMs);
  const t2 = setTimeout(() => (cpuTo = cpuSnapshot(c.pids())), o.warmupMs + o.durationMs);

  const writer = async (w: number): Promise<void> => {
    const sendTo = senderFor();
    for (let seq = 0; performance.now() < measureTo; seq++) {
      const target = targets[(w + seq) % targets.length] ?? targets[0];
      if (target === undefined) return;
      const key = `bench/${w}/${seq % o.keysPerWriter}`;
      const t0 = performance.now();
      const res = await sendTo(target, c.putRequest(key, value));
      const t1 = performance.now();
      const counted = t1 >= measureFrom && t1 < measureTo;
      if (c.acknowledged(res)) {
        if (!counted) continue;
        if (count === latencies.length) {
          const bigger = new Float64Array(latencies.length * 2);
          bigger.set(latencies);
          latencies = bigger;
        }
        latencies[count++] = t1 - t0;
      } else {
        if (counted) errors++;
        if (errorSamples.length < 5) errorSamples.push(`${res.status} ${res.body.slice(0, 200)}`);
        await sleep(5); // an error answer is fast: do not spin
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: o.writers }, (_, w) => writer(w)));
  } finally {
    agent.destroy();
    for (const conn of raw) conn.close();
    clearTimeout(t1);
    clearTimeout(t2);
  }
  const cpuA: CpuSnapshot | null = cpuFrom;
  const cpuB: CpuSnapshot | null = cpuTo;
  const sorted = latencies.slice(0, count).sort();
  const cpu = cpuA !== null && cpuB !== null ? cpuUse(cpuA, cpuB) : null;
  return summarizeLoad(c.system, targetIds, sorted, errors, o.durationMs / 1000, errorSamples, cpu);
}

function summarizeLoad(
  system: string,
  targets: readonly string[],
  sorted: Float64Array,
  errors: number,
  seconds: number,
  errorSamples: readonly string[],
  cpu: CpuUse | null,
): LoadResult {
  let sum = 0;
  for (const v of sorted) sum += v;
  const count = sorted.length;
  return {
    system,
    targets,
    acked: count,
    errors,
    seconds,
    writesPerSec: count / seconds,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    max: sorted[count - 1] ?? Number.NaN,
    mean: count === 0 ? Number.NaN : sum / count,
    errorSamples,
    cpu,
    latencies: sorted,
  };
}

/** Several measured slices of one system as one result (latencies pooled, CPU time-weighted). */
export function combineLoads(parts: readonly LoadResult[]): LoadResult {
  const first = parts[0];
  if (first === undefined) throw new Error('combineLoads: no parts');
  const total = parts.reduce((a, p) => a + p.latencies.length, 0);
  const all = new Float64Array(total);
  let at = 0;
  for (const p of parts) {
    all.set(p.latencies, at);
    at += p.latencies.length;
  }
  all.sort();
  const seconds = parts.reduce((a, p) => a + p.seconds, 0);
  const timed = parts.filter((p) => p.cpu !== null);
  const w = timed.reduce((a, p) => a + p.seconds, 0);
  const avg = (f: (c: CpuUse) => number): number =>
    timed.reduce((a, p) => a + (p.cpu === null ? 0 : f(p.cpu) * p.seconds), 0) / w;
  const cpu: CpuUse | null =
    timed.length === 0
      ? null
      : {
          members: avg((c) => c.members),
          client: avg((c) => c.client),
          others: avg((c) => c.others),
          idle: avg((c) => c.idle),
          cores: timed[0]?.cpu?.cores ?? 0,
        };
  return summarizeLoad(
    first.system,
    first.targets,
    all,
    parts.reduce((a, p) => a + p.errors, 0),
    seconds,
    parts.flatMap((p) => p.errorSamples).slice(0, 5),
    cpu,
  );
}
