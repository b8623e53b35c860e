// npm run sim:gossip -- --nodes N --seed S --loss P [...]   (see cli-args.ts for every flag)
//
// Runs one deterministic simulated cluster and prints a summary: formation and join spread,
// failure detection, false positives under loss with paused and slow nodes, convergence after
// healing, and estimated traffic. Exit status: 0 converged, 1 invariant violated, 2 bad usage.
import { parseCli, usage, UsageError, type CliOptions } from './cli-args.ts';
import { largestFitting, peakBytesPerPair, planHeap, reexecWithHeap } from './memory.ts';
import { runGossipSim, type Detection, type GossipSimResult } from './run.ts';

const secs = (ms: number | null): string =>
  ms === null ? 'not within the cap' : `${(ms / 1000).toFixed(2)} s`;

function detection(d: Detection, i: number): string {
  return `  kill #${i + 1}: first suspect ${secs(d.firstSuspectMs)}, first dead ${secs(d.firstDeadMs)}, dead everywhere ${secs(d.allDeadMs)}`;
}

function summary(r: GossipSimResult, cpuMs: number): string {
  const o = r.options;
  const fp = r.faultFalsePositives;
  const all = r.totalFalsePositives;
  return [
    `gossip sim: ${o.nodes} nodes, seed ${o.seed}, loss ${(o.lossRate * 100).toFixed(0)}% for ${secs(o.faultMs)}, ${o.pauses} paused (${o.pauseMs} ms), ${o.slows} slow (+${o.slowMs} ms)`,
    `formation (joins spread over ${secs(o.joinSpreadMs)}): everyone sees everyone ${secs(r.formationMs)} after the last start`,
    `join: a new node known to all ${secs(r.joinMs)} after joining`,
    `failure detection:`,
    ...r.detections.map(detection),
    `false positives from the fault window until healed: ${fp.deadNodes} live nodes declared dead (${fp.deadPairs} verdicts), ${fp.suspectPairs} suspicions`,
    `false positives over the run: ${all.deadNodes} live nodes declared dead (${all.deadPairs} verdicts), ${all.suspectPairs} suspicions`,
    `after healing: member lists agree ${secs(r.healMs)} later — ${r.convergence.ok ? 'converged' : `NOT converged (${r.convergence.wrong} wrong views)`}`,
    ...r.convergence.examples.map((e) => `  ${e}`),
    `traffic per node: steady ${r.steadyBytesPerNodeSec.udp.toFixed(0)} B/s UDP + ${r.steadyBytesPerNodeSec.tcp.toFixed(0)} B/s TCP; fault window ${r.faultBytesPerNodeSec.udp.toFixed(0)} B/s UDP + ${r.faultBytesPerNodeSec.tcp.toFixed(0)} B/s TCP`,
    `cost: ${(r.virtualMs / 1000).toFixed(1)} s virtual, ${r.steps} events, ${(cpuMs / 1000).toFixed(1)} s wall`,
  ].join('\n');
}

function main(argv: readonly string[]): number {
  let o: CliOptions;
  try {
    o = parseCli(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`sim:gossip: ${err.message}\n${usage}\n`);
    return 2;
  }
  const plan = planHeap(o.sim.nodes, o.force);
  if (plan.kind === 'too-big') {
    const gb = (b: number): string => `${(b / 2 ** 30).toFixed(0)} GB`;
    process.stderr.write(
      `sim:gossip: ${o.sim.nodes} nodes need about ${gb(plan.needBytes)} of memory (every node ` +
        `keeps a table of all ${o.sim.nodes} members, ~${peakBytesPerPair} B per pair at peak); this machine has ` +
        `${gb(plan.haveBytes)}. At most about ${largestFitting(plan.haveBytes * 0.75)} nodes fit; ` +
        `--force tries anyway.\n`,
    );
    return 2;
  }
  if (plan.kind === 'reexec' && process.env['GOSSIP_SIM_REEXEC'] === undefined) {
    return reexecWithHeap(plan.heapMb);
  }
  const began = performance.now();
  const r = runGossipSim(o.sim);
  const wall = performance.now() - began;
  if (o.json) {
    const { options, ...rest } = r;
    const shown = { ...options, config: o.configName };
    process.stdout.write(`${JSON.stringify({ options: shown, ...rest }, null, 2)}\n`);
  } else {
    process.stdout.write(`config ${o.configName}; ${summary(r, wall)}\n`);
  }
  return r.convergence.ok ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
