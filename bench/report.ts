// Summaries for the console and the generated section of docs/BENCHMARKS.md (between the
// bench:results markers; the hand-written text around them is kept).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SystemName } from './cluster.ts';
import type { FailoverTrial } from './failover.ts';
import type { LoadResult } from './load.ts';
import type { Machine } from './machine.ts';

export interface SystemResults {
  readonly system: SystemName;
  readonly settings: Readonly<Record<string, string>>;
  readonly loads: LoadResult[];
  readonly failovers: FailoverTrial[];
}

export interface BenchParams {
  readonly command: string;
  readonly writers: number;
  readonly valueBytes: number;
  readonly warmupS: number;
  readonly durationS: number;
  readonly targeting: string;
  /** The load's HTTP client (absent in reports from before it could be chosen: node:http). */
  readonly client?: 'raw' | 'node';
  readonly rounds: number;
  readonly failoverTrials: number;
  readonly keysPerWriter: number;
  readonly probeEveryMs: number;
  readonly schedule: 'interleaved' | 'sequential';
  readonly sliceS: number;
}

export interface BenchReport {
  readonly date: string;
  readonly machine: Machine;
  readonly params: BenchParams;
  readonly systems: readonly SystemResults[];
}

export interface Summary {
  readonly system: SystemName;
  readonly writesPerSec: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly errors: number;
  readonly failoverMedian: number | null;
  readonly failoverMin: number | null;
  readonly failoverMax: number | null;
  readonly failoverTimeouts: number;
  readonly electedMedian: number | null;
  /** Members' CPU time per acknowledged write, microseconds (median over rounds). */
  readonly cpuPerWriteUs: number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

export function summarize(r: SystemResults): Summary {
  const acks = r.failovers.flatMap((f) => (f.firstAckMs === null ? [] : [f.firstAckMs]));
  const elected = r.failovers.flatMap((f) => (f.electedMs === null ? [] : [f.electedMs]));
  return {
    system: r.system,
    writesPerSec: median(r.loads.map((l) => l.writesPerSec)),
    p50: median(r.loads.map((l) => l.p50)),
    p99: median(r.loads.map((l) => l.p99)),
    p999: median(r.loads.map((l) => l.p999)),
    errors: r.loads.reduce((a, l) => a + l.errors, 0),
    failoverMedian: acks.length === 0 ? null : median(acks),
    failoverMin: acks.length === 0 ? null : Math.min(...acks),
    failoverMax: acks.length === 0 ? null : Math.max(...acks),
    failoverTimeouts: r.failovers.length - acks.length,
    electedMedian: elected.length === 0 ? null : median(elected),
    cpuPerWriteUs: median(
      r.loads.flatMap((l) => (l.cpu === null ? [] : [(l.cpu.members * 1e6) / l.writesPerSec])),
    ),
  };
}

export interface Ratios {
  /** Sappers / etcd. With equal round counts, the median of per-round ratios (paired). */
  readonly writes: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly cpuPerWrite: number;
  readonly failover: number | null;
  readonly paired: boolean;
  /** Per-round writes/s ratios (paired only). */
  readonly perRound: readonly number[];
}

export function ratios(r: BenchReport): Ratios | null {
  const sr = r.systems.find((x) => x.system === 'sappers');
  const er = r.systems.find((x) => x.system === 'etcd');
  if (sr === undefined || er === undefined) return null;
  const s = summarize(sr);
  const e = summarize(er);
  const paired = sr.loads.length === er.loads.length && sr.loads.length > 0;
  const ratio = (f: (l: LoadResult) => number, whole: number): number =>
    paired ? median(sr.loads.map((l, i) => f(l) / f(er.loads[i] ?? l))) : whole;
  const cpuOf = (l: LoadResult): number =>
    l.cpu === null ? Number.NaN : (l.cpu.members * 1e6) / l.writesPerSec;
  return {
    writes: ratio((l) => l.writesPerSec, s.writesPerSec / e.writesPerSec),
    p50: ratio((l) => l.p50, s.p50 / e.p50),
    p99: ratio((l) => l.p99, s.p99 / e.p99),
    p999: ratio((l) => l.p999, s.p999 / e.p999),
    cpuPerWrite: ratio(cpuOf, s.cpuPerWriteUs / e.cpuPerWriteUs),
    failover:
      s.failoverMedian !== null && e.failoverMedian !== null
        ? s.failoverMedian / e.failoverMedian
        : null,
    paired,
    perRound: paired
      ? sr.loads.map((l, i) => l.writesPerSec / (er.loads[i]?.writesPerSec ?? 0))
      : [],
  };
}

const f0 = (x: number): string => (Number.isFinite(x) ? x.toFixed(0) : '–');
const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '–');
const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '–');
const ms = (x: number | null): string => (x === null ? '–' : x.toFixed(0));

/** The target of the issue, checked: Sappers vs etcd on this machine. */
export function verdicts(s: Summary, e: Summary, q: Ratios): string[] {
  const out = [
    `writes/s ≥ 1.5× etcd: ${f2(q.writes)}×${q.paired ? ' (median of per-round ratios)' : ''} — ${q.writes >= 1.5 ? 'met' : 'NOT met'}`,
    `p99 lower than etcd's: ${f1(s.p99)} ms vs ${f1(e.p99)} ms (${f2(q.p99)}×) — ${q.p99 < 1 ? 'met' : 'NOT met'}`,
  ];
  if (s.failoverMedian !== null && e.failoverMedian !== null) {
    const ok = s.failoverMedian < e.failoverMedian;
    out.push(
      `faster failover (median): ${ms(s.failoverMedian)} ms vs ${ms(e.failoverMedian)} ms — ${ok ? 'met' : 'NOT met'}`,
    );
  } else {
    out.push('faster failover: not measured for both systems');
  }
  return out;
}

export function consoleReport(r: BenchReport): string {
  const lines: string[] = [];
  const sums = r.systems.map(summarize);
  lines.push('');
  lines.push(
    `system   writes/s   p50 ms   p99 ms  p99.9 ms  errors  failover ms median (min-max)  new leader seen ms`,
  );
  for (const s of sums) {
    lines.push(
      `${s.system.padEnd(8)} ${f0(s.writesPerSec).padStart(8)} ${f1(s.p50).padStart(8)} ${f1(s.p99).padStart(8)} ${f1(s.p999).padStart(9)} ${String(s.errors).padStart(7)}  ${`${ms(s.failoverMedian)} (${ms(s.failoverMin)}-${ms(s.failoverMax)})${s.failoverTimeouts > 0 ? ` ${s.failoverTimeouts} timed out` : ''}`.padEnd(29)} ${ms(s.electedMedian)}`,
    );
  }
  const s = sums.find((x) => x.system === 'sappers');
  const e = sums.find((x) => x.system === 'etcd');
  const q = ratios(r);
  if (s !== undefined && e !== undefined && q !== null) {
    lines.push('');
    lines.push(
      `sappers/etcd${q.paired ? ' (median of per-round ratios)' : ''}: writes/s ${f2(q.writes)}×, p50 ${f2(q.p50)}×, p99 ${f2(q.p99)}×, members' CPU per write ${f2(q.cpuPerWrite)}× (${f0(s.cpuPerWriteUs)} vs ${f0(e.cpuPerWriteUs)} µs)` +
        (q.failover !== null ? `, failover ${f2(q.failover)}×` : ''),
    );
    if (q.perRound.length > 1)
      lines.push(`  writes/s ratio per round: ${q.perRound.map((x) => f2(x)).join(', ')}`);
    for (const v of verdicts(s, e, q)) lines.push(`  target: ${v}`);
  }
  return lines.join('\n');
}

export function markdownSection(r: BenchReport): string {
  const m = r.machine;
  const p = r.params;
  const sums = r.systems.map(summarize);
  const out: string[] = [];
  out.push(`## Latest run: ${r.date}`);
  out.push('');
  out.push(`Command: \`${p.command}\``);
  out.push('');
  out.push('| machine | |');
  out.push('| --- | --- |');
  out.push(`| CPU | ${m.cpu}, nproc ${m.nproc} |`);
  out.push(`| memory | ${m.memory} |`);
  out.push(`| disk | ${m.disk} |`);
  out.push(`| fsync | ${m.fsync} |`);
  out.push(`| kernel | ${m.kernel} |`);
  out.push(`| load average at start | ${m.loadAverage} |`);
  out.push(`| Node.js | ${m.node} |`);
  out.push(`| etcd | ${m.etcd} |`);
  out.push('');
  out.push('| load | |');
  out.push('| --- | --- |');
  out.push(
    `| client | closed loop, ${p.writers} concurrent writers, ${p.valueBytes}-byte values, keys \`bench/<writer>/<n mod ${p.keysPerWriter}>\`, ${p.client === 'raw' ? 'lean HTTP/1.1 client (bench/raw-http.ts), one keep-alive socket per writer' : 'node:http keep-alive (one socket per writer)'} |`,
  );
  out.push(
    `| writes go to | ${p.targeting === 'leader' ? 'the leader (both systems)' : 'all three members round-robin (both systems)'} |`,
  );
  out.push(
    `| schedule | ${p.rounds} round(s) with fresh clusters, system order alternating; warmup ${p.warmupS} s per system, then ${p.durationS} s measured per system ${p.schedule === 'interleaved' ? `in alternating ${p.sliceS} s slices (ABBA order, 0.5 s ramp before each): both clusters are up, only one is loaded at a time` : 'with each system run alone'} |`,
  );
  out.push(
    `| failover | ${p.failoverTrials} trial(s) per round: SIGKILL the leader, probe writes to the survivors every ${p.probeEveryMs} ms, time to the first acknowledged write sent after the kill |`,
  );
  for (const sys of r.systems) {
    for (const [k, v] of Object.entries(sys.settings)) out.push(`| ${sys.system}: ${k} | ${v} |`);
  }
  out.push('');
  out.push(
    "| system | writes/s | p50 ms | p99 ms | p99.9 ms | errors | members' CPU per write | failover ms, median (min–max) | new leader seen ms, median |",
  );
  out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const s of sums) {
    out.push(
      `| ${s.system} | ${f0(s.writesPerSec)} | ${f1(s.p50)} | ${f1(s.p99)} | ${f1(s.p999)} | ${s.errors} | ${f0(s.cpuPerWriteUs)} µs | ${ms(s.failoverMedian)} (${ms(s.failoverMin)}–${ms(s.failoverMax)})${s.failoverTimeouts > 0 ? `, ${s.failoverTimeouts} timed out` : ''} | ${ms(s.electedMedian)} |`,
    );
  }
  const s = sums.find((x) => x.system === 'sappers');
  const e = sums.find((x) => x.system === 'etcd');
  const q = ratios(r);
  if (s !== undefined && e !== undefined && q !== null) {
    out.push(
      `| **sappers / etcd** | **${f2(q.writes)}×** | ${f2(q.p50)}× | ${f2(q.p99)}× | ${f2(q.p999)}× | | ${f2(q.cpuPerWrite)}× | ${q.failover !== null ? `${f2(q.failover)}×` : '–'} | |`,
    );
    out.push('');
    out.push(
      q.paired
        ? `Rows are medians over rounds; the ratio row is the median of the per-round ratios (each round's two systems ran interleaved, under the same background load)${q.perRound.length > 1 ? `: writes/s ratio per round ${q.perRound.map((x) => f2(x)).join(', ')}` : ''}.`
        : 'Rows are medians over rounds; ratios are of those medians.',
    );
    out.push('');
    out.push('Target (issue): at least 1.5× etcd writes/s, lower p99, faster failover.');
    out.push('');
    for (const v of verdicts(s, e, q)) out.push(`- ${v}`);
  }
  out.push('');
  out.push('Per round and per trial:');
  out.push('');
  out.push(
    "| system | round | writes/s | p50 ms | p99 ms | max ms | errors | CPU cores: members / client / everything else / idle | members' CPU per write |",
  );
  out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |');
  for (const sys of r.systems) {
    sys.loads.forEach((l, i) =>
      out.push(
        `| ${sys.system} | ${i + 1} | ${f0(l.writesPerSec)} | ${f1(l.p50)} | ${f1(l.p99)} | ${f1(l.max)} | ${l.errors} | ${l.cpu === null ? '–' : `${f2(l.cpu.members)} / ${f2(l.cpu.client)} / ${f2(l.cpu.others)} / ${f2(l.cpu.idle)}`} | ${l.cpu === null ? '–' : `${f0((l.cpu.members * 1e6) / l.writesPerSec)} µs`} |`,
      ),
    );
  }
  out.push('');
  out.push(
    '| system | trial | killed | new leader | new leader seen ms | first acked write ms | probes |',
  );
  out.push('| --- | ---: | --- | --- | ---: | ---: | ---: |');
  for (const sys of r.systems) {
    sys.failovers.forEach((f, i) =>
      out.push(
        `| ${sys.system} | ${i + 1} | ${f.killed} | ${f.newLeader ?? '–'} | ${ms(f.electedMs)} | ${f.firstAckMs === null ? 'timed out' : ms(f.firstAckMs)} | ${f.probes} |`,
      ),
    );
  }
  return out.join('\n');
}

export const beginMarker =
  '<!-- bench:results:begin (generated by npm run bench; edits here are overwritten) -->';
export const endMarker = '<!-- bench:results:end -->';

/**
 * Replaces the generated section of `path` (creates the file, or appends the section), then
 * formats the file with the repository's prettier settings so `npm run format:check` stays clean.
 */
export async function writeReport(path: string, section: string): Promise<void> {
  const block = `${beginMarker}\n\n${section}\n\n${endMarker}`;
  let next: string;
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    next = `# Benchmarks\n\n${block}\n`;
  } else {
    const text = readFileSync(path, 'utf8');
    const b = text.indexOf('<!-- bench:results:begin');
    const e = text.indexOf(endMarker);
    next =
      b >= 0 && e > b
        ? text.slice(0, b) + block + text.slice(e + endMarker.length)
        : `${text.trimEnd()}\n\n${block}\n`;
  }
  try {
    const prettier = await import('prettier');
    const options = (await prettier.resolveConfig(path)) ?? {};
    next = await prettier.format(next, { ...options, filepath: path });
  } catch {
    // prettier is a dev dependency: without it the file is written unformatted
  }
  writeFileSync(path, next);
}

/** The report as JSON, without the raw latencies (they are summarized already). */
export function reportJson(r: BenchReport): string {
  return JSON.stringify(r, (k, v: unknown) => (k === 'latencies' ? undefined : v), 2);
}

// Re-render the markdown section from a run's --json file:
//   npx tsx bench/report.ts RESULTS.json [--report-file docs/BENCHMARKS.md]
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (file === undefined) {
    console.error('usage: tsx bench/report.ts RESULTS.json [--report-file PATH]');
    process.exit(2);
  }
  const at = process.argv.indexOf('--report-file');
  const out = resolve(
    at > 0
      ? (process.argv[at + 1] ?? '')
      : fileURLToPath(new URL('../docs/BENCHMARKS.md', import.meta.url)),
  );
  const r = JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
  console.log(consoleReport(r));
  await writeReport(out, markdownSection(r));
  console.log(`\nwrote ${out}`);
}
