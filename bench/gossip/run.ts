// npm run bench:gossip: the same measurements on a cluster of real HashiCorp memberlist peer
// processes and on a cluster of Sappers peer processes (interop/ts-peer), equal sizes, loopback,
// Local timings, one cluster at a time: join convergence, failure detection after SIGKILL, idle
// CPU and RSS per node, and failure verdicts against live nodes under simulated packet loss.
// Bounded by --max-minutes; every process it started is killed on exit, error or signal.
//
//   npm run bench:gossip -- [--nodes 32] [--joins 10] [--kills 5] [--loss 0.1,0.3,0.5]
//                           [--loss-window-s 30] [--idle-s 15] [--only go|ts]
//                           [--max-minutes 30] [--no-report] [--report-file docs/BENCHMARKS.md]
import { cpus, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, killAllPeers } from '../../test/interop/go.ts';
import { GossipBenchCluster, kindLabel, maxSuspicionMs, type PeerKind } from './cluster.ts';
import {
  markdownSection,
  writeSection,
  type GossipBenchReport,
  type KindResults,
} from './report.ts';
import { summarize } from './stats.ts';

interface Options {
  readonly nodes: number;
  readonly joins: number;
  readonly kills: number;
  readonly loss: number[];
  readonly lossWindowMs: number;
  readonly idleMs: number;
  readonly kinds: PeerKind[];
  readonly maxMinutes: number;
  readonly report: string | null;
}

function int(name: string, v: string | undefined, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) {
    throw new Error(
      `--${name}: expected an integer in [${String(min)}, ${String(max)}], got "${v}"`,
    );
  }
  return n;
}

function parse(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      nodes: { type: 'string' },
      joins: { type: 'string' },
      kills: { type: 'string' },
      loss: { type: 'string' },
      'loss-window-s': { type: 'string' },
      'idle-s': { type: 'string' },
      only: { type: 'string' },
      'max-minutes': { type: 'string' },
      'no-report': { type: 'boolean' },
      'report-file': { type: 'string' },
    },
  });
  const nodes = int('nodes', values.nodes, 32, 3, 200);
  const kills = int('kills', values.kills, 5, 0, 20);
  if (kills > nodes - 2) throw new Error('--kills: must leave at least 2 nodes');
  const loss = (values.loss ?? '0.1,0.3,0.5')
    .split(',')
    .filter((s) => s !== '')
    .map((s) => {
      const p = Number(s);
      if (!(p > 0 && p < 1)) throw new Error(`--loss: expected fractions in (0, 1), got "${s}"`);
      return p;
    });
  const only = values.only;
  if (only !== undefined && only !== 'go' && only !== 'ts') {
    throw new Error(`--only: expected go or ts, got "${only}"`);
  }
  return {
    nodes,
    joins: int('joins', values.joins, 10, 0, 50),
    kills,
    loss,
    lossWindowMs: int('loss-window-s', values['loss-window-s'], 30, 1, 600) * 1000,
    idleMs: int('idle-s', values['idle-s'], 15, 1, 600) * 1000,
    kinds: only === undefined ? ['go', 'ts'] : [only],
    maxMinutes: int('max-minutes', values['max-minutes'], 30, 1, 120),
    report:
      values['no-report'] === true
        ? null
        : resolve(REPO_ROOT, values['report-file'] ?? 'docs/BENCHMARKS.md'),
  };
}

const say = (text: string): void => {
  process.stderr.write(`bench:gossip: ${text}\n`);
};

async function measure(kind: PeerKind, o: Options): Promise<KindResults> {
  const label = kindLabel[kind];
  const t0 = performance.now();
  // Node.js peers cost a second or two of CPU to start; Go peers start at once.
  const batch = kind === 'ts' ? 4 : 8;
  const c = await GossipBenchCluster.start(kind, o.nodes, batch, 120_000);
  const formMs = performance.now() - t0;
  say(`${label}: ${String(o.nodes)} nodes formed in ${(formMs / 1000).toFixed(1)} s`);
  try {
    const usage = await c.usage(o.idleMs);
    say(`${label}: idle CPU ${summarize(usage.cpuPercent).mean?.toFixed(2) ?? '?'}% per node`);
    const joinMs: number[] = [];
    let joinTimeouts = 0;
    for (let i = 0; i < o.joins; i++) {
      try {
        const took = await c.timeJoin(7 * i + 1);
        joinMs.push(took);
        say(`${label}: join ${String(i + 1)} seen by all in ${took.toFixed(0)} ms`);
      } catch (e) {
        joinTimeouts++;
        say(`${label}: join ${String(i + 1)}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const detectFirstMs: number[] = [];
    const detectAllMs: number[] = [];
    for (let i = 0; i < o.kills; i++) {
      const d = await c.timeKill(1 + ((11 * i + 3) % (c.peers.length - 1)));
      detectFirstMs.push(d.firstMs);
      detectAllMs.push(d.allMs);
      say(
        `${label}: kill ${String(i + 1)} first ${d.firstMs.toFixed(0)} ms, all ${d.allMs.toFixed(0)} ms`,
      );
      // Let the dead node's broadcasts die out before the next measurement.
      await new Promise((r) => setTimeout(r, 2000));
    }
    const loss = [];
    const n = c.peers.length;
    for (const rate of o.loss) {
      const l = await c.lossWindow(rate, o.lossWindowMs, maxSuspicionMs(n), 120_000);
      loss.push(l);
      say(
        `${label}: ${String(rate * 100)}% loss: ${String(l.falseVerdicts)} false verdicts (${String(l.falseNodes)} nodes)`,
      );
    }
    return {
      kind,
      nodes: o.nodes,
      formMs,
      joinMs,
      joinTimeouts,
      detectFirstMs,
      detectAllMs,
      usage,
      loss,
    };
  } finally {
    await c.stop();
  }
}

async function main(): Promise<number> {
  const o = parse(process.argv.slice(2));
  const deadline = setTimeout(() => {
    say(`over --max-minutes ${String(o.maxMinutes)}: stopping everything`);
    killAllPeers();
    process.exit(1);
  }, o.maxMinutes * 60_000);
  deadline.unref();
  const startedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const load = loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');
  const machine =
    `${cpus()[0]?.model.trim() ?? '?'}, ${String(cpus().length)} CPUs, ` +
    `${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node.js ${process.version}; ` +
    `load average ${load} at start (shared machine)`;
  const results: KindResults[] = [];
  for (const kind of o.kinds) results.push(await measure(kind, o));
  const report: GossipBenchReport = {
    startedAt,
    command: `npm run bench:gossip -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine,
    results,
  };
  const section = markdownSection(report);
  process.stdout.write(section);
  if (o.report !== null) {
    writeSection(o.report, section);
    say(`wrote ${o.report}`);
  }
  return 0;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    killAllPeers();
    process.exit(130);
  });
}
process.on('exit', () => {
  killAllPeers();
});

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    say(e instanceof Error ? (e.stack ?? e.message) : String(e));
    killAllPeers();
    process.exitCode = 1;
  },
);
