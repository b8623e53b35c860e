// npm run bench: Sappers vs etcd, 3 members each on loopback, driven by the same closed-loop
// HTTP client; writes/s, p50/p99 latency, and leader failover time; results go to the console
// and to docs/BENCHMARKS.md. Each system runs alone (never both at once), the order alternates
// between rounds, and every process started here is stopped on exit, error, SIGINT or SIGTERM.
//
//   npm run bench -- [--duration-s 10] [--warmup-s 3] [--writers 64] [--value-bytes 256]
//                    [--only sappers|etcd] [--rounds 1] [--failover-trials 3]
//                    [--target leader|round-robin] [--tick-ms 100] [--sappers-log-level INFO]
//                    [--profile] [--no-report] [--report-file docs/BENCHMARKS.md] [--keep]
//                    [--max-minutes 30]
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { BenchCluster, SystemName } from './cluster.ts';
import { etcdVersion, startEtcd } from './etcd.ts';
import { failoverTrial, recover, type FailoverOptions } from './failover.ts';
import {
  combineLoads,
  runLoad,
  type ClientKind,
  type LoadOptions,
  type LoadResult,
  type Targeting,
} from './load.ts';
import { formatCpu, waitForQuiet } from './cpu.ts';
import { describeMachine } from './machine.ts';
import { killAll, killAllSync } from './procs.ts';
import { formatProfile } from './profile.ts';
import {
  consoleReport,
  markdownSection,
  reportJson,
  writeReport,
  type BenchReport,
  type SystemResults,
} from './report.ts';
import { startSappers } from './sappers.ts';

const usage = `usage: npm run bench -- [options]
  --duration-s N          measured seconds per system and round (10)
  --warmup-s N            warmup seconds before each measurement (3)
  --writers N             concurrent closed-loop writers (64)
  --value-bytes N         bytes per value (256)
  --only sappers|etcd     run one system only
  --rounds N              fresh clusters per system, order alternating (1)
  --schedule interleaved|sequential
                          interleaved (default): both clusters up, loaded one at a time in
                          alternating slices (ABBA); sequential: one system after the other
  --slice-s N             measured seconds per interleaved slice (2)
  --failover-trials N     leader kills per system and round (3)
  --target leader|round-robin   where writes go, the same for both systems (leader)
  --client raw|node       the load's HTTP client, the same for both systems: raw (default) is
                          a lean HTTP/1.1 keep-alive client (bench/raw-http.ts); node is
                          node:http with a keep-alive agent, which costs ~3x the client CPU
                          (npx tsx bench/client-cost.ts)
  --tick-ms N             Sappers --tick-ms and etcd --heartbeat-interval; elections 10x (100)
  --sappers-log-level L   Sappers --log-level (INFO, its default)
  --snapshot-every N      Sappers --snapshot-threshold N and etcd --snapshot-count N (default:
                          each system's own default: Sappers at least 8,192 entries and at
                          least the last snapshot's rows and events apart, etcd every 100,000)
  --profile               node --cpu-prof on every Sappers node (no failover); prints hotspots
  --no-report             do not write docs/BENCHMARKS.md
  --report-file PATH      where the markdown section goes (docs/BENCHMARKS.md)
  --keep                  keep the temporary data directories and logs
  --json PATH             also save the results as JSON (re-render: tsx bench/report.ts PATH)
  --quiet-wait-s N        before measuring, wait up to N s for other processes on the machine
                          to use < 0.25 cores (60; 0 = do not wait)
  --max-minutes N         stop everything and fail after this long (30)`;

/** Other processes' CPU (cores) below which the machine counts as quiet enough to measure. */
const quietCores = 0.25;

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

function parse() {
  const { values } = parseArgs({
    options: {
      'duration-s': { type: 'string', default: '10' },
      'warmup-s': { type: 'string', default: '3' },
      writers: { type: 'string', default: '64' },
      'value-bytes': { type: 'string', default: '256' },
      only: { type: 'string' },
      rounds: { type: 'string', default: '1' },
      'failover-trials': { type: 'string', default: '3' },
      target: { type: 'string', default: 'leader' },
      client: { type: 'string', default: 'raw' },
      'tick-ms': { type: 'string', default: '100' },
      'sappers-log-level': { type: 'string', default: 'INFO' },
      'snapshot-every': { type: 'string' },
      profile: { type: 'boolean', default: false },
      'no-report': { type: 'boolean', default: false },
      'report-file': { type: 'string', default: join(repoRoot, 'docs', 'BENCHMARKS.md') },
      keep: { type: 'boolean', default: false },
      'max-minutes': { type: 'string', default: '30' },
      'quiet-wait-s': { type: 'string', default: '60' },
      schedule: { type: 'string', default: 'interleaved' },
      'slice-s': { type: 'string', default: '2' },
      json: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const num = (name: string, v: string, min: number, max: number): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) {
      console.error(`bench: --${name} must be a number in ${min}..${max}, got ${v}\n${usage}`);
      process.exit(2);
    }
    return n;
  };
  const only = values.only;
  if (only !== undefined && only !== 'sappers' && only !== 'etcd') {
    console.error(`bench: --only must be sappers or etcd\n${usage}`);
    process.exit(2);
  }
  if (values.schedule !== 'interleaved' && values.schedule !== 'sequential') {
    console.error(`bench: --schedule must be interleaved or sequential\n${usage}`);
    process.exit(2);
  }
  if (values.client !== 'raw' && values.client !== 'node') {
    console.error(`bench: --client must be raw or node\n${usage}`);
    process.exit(2);
  }
  const client: ClientKind = values.client === 'node' ? 'node' : 'raw';
  if (values.target !== 'leader' && values.target !== 'round-robin') {
    console.error(`bench: --target must be leader or round-robin\n${usage}`);
    process.exit(2);
  }
  return {
    durationS: num('duration-s', values['duration-s'], 1, 3600),
    warmupS: num('warmup-s', values['warmup-s'], 0, 600),
    writers: Math.round(num('writers', values.writers, 1, 4096)),
    valueBytes: Math.round(num('value-bytes', values['value-bytes'], 1, 512 * 1024)),
    systems: (only === undefined ? ['sappers', 'etcd'] : [only]) as SystemName[],
    rounds: Math.round(num('rounds', values.rounds, 1, 20)),
    failoverTrials: values.profile
      ? 0
      : Math.round(num('failover-trials', values['failover-trials'], 0, 20)),
    targeting: targetingOf(values.target),
    client,
    tickMs: Math.round(num('tick-ms', values['tick-ms'], 10, 1000)),
    sappersLogLevel: values['sappers-log-level'],
    snapshotEvery:
      values['snapshot-every'] === undefined
        ? null
        : Math.round(num('snapshot-every', values['snapshot-every'], 1, 1_000_000_000)),
    profile: values.profile,
    report: !values['no-report'],
    reportFile: resolve(values['report-file']),
    keep: values.keep,
    maxMinutes: num('max-minutes', values['max-minutes'], 1, 600),
    quietWaitS: num('quiet-wait-s', values['quiet-wait-s'], 0, 3600),
    schedule: values.schedule === 'sequential' ? ('sequential' as const) : ('interleaved' as const),
    sliceS: num('slice-s', values['slice-s'], 0.5, 3600),
    json: values.json === undefined ? null : resolve(values.json),
  };
}

type Opts = ReturnType<typeof parse>;

function targetingOf(v: string): Targeting {
  return v === 'round-robin' ? 'round-robin' : 'leader';
}

const stopGraceMs = (o: Opts): number => (o.profile ? 30_000 : 5_000);

async function start(
  sys: SystemName,
  dir: string,
  o: Opts,
  profDir: string | null,
): Promise<BenchCluster> {
  if (sys === 'etcd')
    return startEtcd({
      dir,
      heartbeatMs: o.tickMs,
      stopGraceMs: stopGraceMs(o),
      snapshotEvery: o.snapshotEvery,
    });
  return startSappers({
    dir,
    tickMs: o.tickMs,
    snapshotEvery: o.snapshotEvery,
    logLevel: o.sappersLogLevel,
    stopGraceMs: stopGraceMs(o),
    ...(profDir === null
      ? {}
      : {
          nodeFlagsFor: (id: string) => ['--cpu-prof', `--cpu-prof-dir=${join(profDir, id)}`],
        }),
  });
}

interface Running {
  readonly sys: SystemName;
  readonly cluster: BenchCluster;
  readonly dir: string;
  readonly profDir: string | null;
}

/** Milliseconds of load before each interleaved slice's measurement starts (ramp-up). */
const sliceWarmMs = 500;

function entryFor(results: SystemResults[], r: Running): SystemResults {
  let entry = results.find((x) => x.system === r.sys);
  if (entry === undefined) {
    entry = { system: r.sys, settings: r.cluster.settings, loads: [], failovers: [] };
    results.push(entry);
  }
  return entry;
}

/**
 * One round for `systems`: start their clusters, warm each up, then measure. With several
 * systems (interleaved schedule) both clusters run but only one is loaded at a time: the
 * measured time is cut into slices taken in ABBA order, so a shared machine's background load
 * falls on both systems alike. Then failover trials, alternating between systems.
 */
async function runClusters(
  systems: readonly SystemName[],
  round: number,
  tmp: string,
  o: Opts,
  results: SystemResults[],
  profRoot: string | null,
): Promise<void> {
  const running: Running[] = [];
  const tag = (sys: SystemName): string => `[${sys} round ${round}]`;
  const leaders = new Map<SystemName, string>();
  try {
    for (const sys of systems) {
      const dir = join(tmp, `${sys}-round${round}`);
      const profDir =
        sys === 'sappers' && profRoot !== null ? join(profRoot, `round${round}`) : null;
      console.log(`\n${tag(sys)} starting a 3-member cluster in ${dir}`);
      const t0 = Date.now();
      running.push({ sys, cluster: await start(sys, dir, o, profDir), dir, profDir });
      console.log(`${tag(sys)} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    const loadOpts: LoadOptions = {
      writers: o.writers,
      valueBytes: o.valueBytes,
      warmupMs: 0,
      durationMs: o.durationS * 1000,
      targeting: o.targeting,
      keysPerWriter: 1024,
      requestTimeoutMs: 10_000,
      client: o.client,
    };
    if (o.warmupS > 0) {
      for (const r of running) {
        console.log(`${tag(r.sys)} warmup ${o.warmupS} s`);
        await runLoad(r.cluster, { ...loadOpts, durationMs: o.warmupS * 1000 });
      }
    }
    if (o.quietWaitS > 0) {
      const pids = (): number[] => running.flatMap((r) => [...r.cluster.pids()]);
      const q = await waitForQuiet(pids, o.quietWaitS * 1000, quietCores);
      console.log(
        q.others < quietCores
          ? `[round ${round}] other processes use ${q.others.toFixed(2)} cores (waited ${(q.waitedMs / 1000).toFixed(0)} s)`
          : `[round ${round}] WARNING: other processes still use ${q.others.toFixed(2)} cores after ${(q.waitedMs / 1000).toFixed(0)} s; measuring anyway`,
      );
    }
    const slices = running.length > 1 ? Math.max(1, Math.round(o.durationS / o.sliceS)) : 1;
    const sliceMs = (o.durationS * 1000) / slices;
    console.log(
      `[round ${round}] measuring ${o.durationS} s per system: ${o.writers} writers, ${o.valueBytes} B values, to ${o.targeting}` +
        (slices > 1
          ? `, in ${slices} alternating slices of ${(sliceMs / 1000).toFixed(1)} s (+${sliceWarmMs} ms ramp each)`
          : ''),
    );
    const parts = new Map<SystemName, LoadResult[]>(running.map((r) => [r.sys, []]));
    for (let i = 0; i < slices; i++) {
      const turn = i % 2 === 0 ? running : [...running].reverse();
      for (const r of turn) {
        const part = await runLoad(r.cluster, {
          ...loadOpts,
          warmupMs: slices > 1 ? sliceWarmMs : 0,
          durationMs: sliceMs,
        });
        parts.get(r.sys)?.push(part);
      }
    }
    for (const r of running) {
      const load = combineLoads(parts.get(r.sys) ?? []);
      const leader = load.targets.length === 1 ? load.targets[0] : undefined;
      if (leader !== undefined) leaders.set(r.sys, leader);
      entryFor(results, r).loads.push(load);
      console.log(
        `${tag(r.sys)} ${load.writesPerSec.toFixed(0)} writes/s, p50 ${load.p50.toFixed(1)} ms, p99 ${load.p99.toFixed(1)} ms, max ${load.max.toFixed(1)} ms, errors ${load.errors}` +
          (load.cpu === null
            ? ''
            : `\n  ${formatCpu(load.cpu)}; members' CPU per write ${((load.cpu.members * 1e6) / load.writesPerSec).toFixed(0)} µs`) +
          (load.errorSamples.length > 0
            ? `\n  error samples: ${load.errorSamples.join(' | ')}`
            : ''),
      );
    }
    const fo: FailoverOptions = {
      probeEveryMs: 10,
      probeTimeoutMs: 1_000,
      maxMs: 30_000,
      settleMs: 3_000,
      valueBytes: o.valueBytes,
    };
    for (let t = 1; t <= o.failoverTrials; t++) {
      for (const r of running) {
        const trial = await failoverTrial(r.cluster, fo);
        entryFor(results, r).failovers.push(trial);
        console.log(
          `${tag(r.sys)} failover ${t}: killed ${trial.killed}; new leader ${trial.newLeader ?? '?'} seen after ${trial.electedMs?.toFixed(0) ?? '–'} ms; first acknowledged write after ${trial.firstAckMs?.toFixed(0) ?? 'timeout'} ms (${trial.probes} probes)`,
        );
        if (t < o.failoverTrials) await recover(r.cluster, trial.killed, fo);
      }
    }
  } finally {
    await Promise.all(running.map((r) => r.cluster.stop()));
    if (!o.keep) for (const r of running) rmSync(r.dir, { recursive: true, force: true });
  }
  for (const r of running) {
    if (r.profDir === null || !existsSync(r.profDir)) continue;
    const leader = leaders.get(r.sys);
    for (const id of readdirSync(r.profDir)) {
      // One profile per thread: the main thread's is the largest (tsx's loader thread idles).
      const files = readdirSync(join(r.profDir, id))
        .filter((x) => x.endsWith('.cpuprofile'))
        .map((x) => join(r.profDir ?? '', id, x))
        .sort((a, b) => statSync(b).size - statSync(a).size);
      const main = files[0];
      if (main === undefined) continue;
      const top = id === leader ? 30 : 10;
      console.log(
        `\n[profile] ${id}${id === leader ? ' (leader under load)' : ''}, main thread:\n${formatProfile(main, top)}`,
      );
    }
  }
}

async function main(): Promise<number> {
  const o = parse();
  const tmp = mkdtempSync(join(tmpdir(), 'sappers-bench-'));
  const profRoot = o.profile ? mkdtempSync(join(tmpdir(), 'sappers-bench-profiles-')) : null;
  let finished = false;
  const cleanup = async (): Promise<void> => {
    await killAll();
    if (!o.keep) rmSync(tmp, { recursive: true, force: true });
  };
  const abort = (why: string, code: number): void => {
    if (finished) return;
    finished = true;
    console.error(`\nbench: ${why}; stopping every process it started`);
    void cleanup().finally(() => process.exit(code));
  };
  process.on('SIGINT', () => abort('interrupted (SIGINT)', 130));
  process.on('SIGTERM', () => abort('terminated (SIGTERM)', 143));
  process.on('exit', killAllSync);
  // A closed stdout (`npm run bench | head`) must not kill the run before it cleans up.
  process.stdout.on('error', () => undefined);
  process.on('uncaughtException', (err) => abort(`uncaught error: ${err.stack ?? err.message}`, 1));
  process.on('unhandledRejection', (err) => abort(`unhandled rejection: ${String(err)}`, 1));
  const watchdog = setTimeout(
    () => abort(`still running after --max-minutes ${o.maxMinutes}`, 1),
    o.maxMinutes * 60_000,
  );

  try {
    const etcd = etcdVersion();
    if (o.systems.includes('etcd') && etcd === null)
      throw new Error('etcd is not installed: apt-get update && apt-get install -y etcd-server');
    const machine = describeMachine(tmp, etcd);
    console.log(
      `machine: ${machine.cpu}, nproc ${machine.nproc}, ${machine.memory}, ${machine.kernel}`,
    );
    console.log(`disk: ${machine.disk}; ${machine.fsync}`);
    console.log(`node ${machine.node}; ${machine.etcd}; load average ${machine.loadAverage}`);
    const results: SystemResults[] = [];
    for (let round = 1; round <= o.rounds; round++) {
      const order = round % 2 === 1 ? o.systems : [...o.systems].reverse();
      if (o.schedule === 'interleaved') await runClusters(order, round, tmp, o, results, profRoot);
      else for (const sys of order) await runClusters([sys], round, tmp, o, results, profRoot);
    }
    const report: BenchReport = {
      date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      machine,
      params: {
        command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
        writers: o.writers,
        valueBytes: o.valueBytes,
        warmupS: o.warmupS,
        durationS: o.durationS,
        targeting: o.targeting,
        client: o.client,
        rounds: o.rounds,
        failoverTrials: o.failoverTrials,
        keysPerWriter: 1024,
        probeEveryMs: 10,
        schedule: o.schedule,
        sliceS: o.sliceS,
      },
      systems: results,
    };
    console.log(consoleReport(report));
    if (o.json !== null) {
      writeFileSync(o.json, reportJson(report));
      console.log(`\nwrote ${o.json}`);
    }
    if (o.report && !o.profile) {
      await writeReport(o.reportFile, markdownSection(report));
      console.log(`\nwrote ${o.reportFile}`);
    }
    if (profRoot !== null) console.log(`\nprofiles kept in ${profRoot}`);
    return 0;
  } finally {
    clearTimeout(watchdog);
    if (!finished) {
      finished = true;
      await cleanup();
      if (o.keep) console.log(`kept ${tmp}`);
    }
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(
      `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
    process.exit(1);
  },
);
