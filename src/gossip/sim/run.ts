// One whole simulated run: form a cluster by joins, time a join and a failure detection, run a
// fault window (packet loss, paused and slow nodes), heal and check that every member list
// converges on the truth, then measure steady-state traffic. Times are virtual milliseconds.
import { defaultLANConfig, type GossipConfig } from '../core/config.ts';
import { pushPullScaleMs, suspicionTimeoutMs } from '../core/timing.ts';
import { Prng } from '../../sim/prng.ts';
import { GossipCluster } from './cluster.ts';
import { checkConvergence, hasConverged, type ConvergenceReport } from './invariants.ts';
import { nodeName } from './testkit.ts';
import { MembershipWatch, type FalsePositives } from './watch.ts';

export interface GossipSimOptions {
  readonly nodes: number;
  readonly seed: number;
  readonly config: GossipConfig;
  /** Packet loss during the fault window. */
  readonly lossRate: number;
  readonly faultMs: number;
  /** Nodes killed to time failure detection. */
  readonly kills: number;
  /** Nodes paused for pauseMs at the start of the fault window. */
  readonly pauses: number;
  readonly pauseMs: number;
  /** Nodes given slowMs of extra one-way delay during the fault window. */
  readonly slows: number;
  readonly slowMs: number;
  /** Node start times are spread over this long while forming the cluster. */
  readonly joinSpreadMs: number;
  /** Window for measuring steady-state traffic. */
  readonly steadyMs: number;
  /** Longest wait for any measured phase (formation, join, detection, healing). */
  readonly maxPhaseMs: number;
}

export const defaultSimOptions: GossipSimOptions = {
  nodes: 100,
  seed: 1,
  config: defaultLANConfig,
  lossRate: 0.1,
  faultMs: 30_000,
  kills: 1,
  pauses: 0,
  pauseMs: 5000,
  slows: 0,
  slowMs: 300,
  joinSpreadMs: 5000,
  steadyMs: 10_000,
  maxPhaseMs: 180_000,
};

export interface Detection {
  readonly firstSuspectMs: number | null;
  readonly firstDeadMs: number | null;
  readonly allDeadMs: number | null;
}

export interface Traffic {
  readonly udp: number;
  readonly tcp: number;
}

export interface GossipSimResult {
  readonly options: GossipSimOptions;
  /** From the last node's start until every node saw every node alive. */
  readonly formationMs: number | null;
  /** From a new node's join until every node saw it alive. */
  readonly joinMs: number | null;
  readonly detections: readonly Detection[];
  /** Estimated bytes each node sends per second once all news has spread (UDP, TCP). */
  readonly steadyBytesPerNodeSec: Traffic;
  /** The same during the fault window. */
  readonly faultBytesPerNodeSec: Traffic;
  /** Verdicts against running, reachable nodes from the fault window until healed. */
  readonly faultFalsePositives: FalsePositives;
  /** The same over the whole run. */
  readonly totalFalsePositives: FalsePositives;
  /** From healing until all member lists agree with the truth (null: not within the cap). */
  readonly healMs: number | null;
  /** Member lists checked after healing (or after the cap). */
  readonly convergence: ConvergenceReport;
  /** From then until every broadcast queue was empty. */
  readonly quietMs: number | null;
  readonly virtualMs: number;
  readonly steps: number;
}

const pollMs = 100;
/** Checking every member list is O(N^2): poll healing less often. */
const healPollMs = 1000;

class Run {
  readonly cluster: GossipCluster;
  readonly watch: MembershipWatch;
  readonly rng: Prng;
  readonly o: GossipSimOptions;
  readonly gone: number[] = [];

  constructor(o: GossipSimOptions) {
    this.o = o;
    this.cluster = new GossipCluster({ seed: o.seed, config: o.config });
    this.watch = new MembershipWatch(this.cluster);
    this.rng = new Prng(o.seed).fork('scenario');
  }

  running(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.cluster.size; i++) if (this.cluster.isLive(i)) out.push(i);
    return out;
  }

  /** Runs in poll steps until `done` holds; the elapsed time, or null past maxPhaseMs. */
  waitFor(done: () => boolean, everyMs = pollMs, capMs = this.o.maxPhaseMs): number | null {
    const start = this.cluster.now;
    while (!done()) {
      if (this.cluster.now - start >= capMs) return null;
      this.cluster.runUntil(this.cluster.now + everyMs);
    }
    return this.cluster.now - start;
  }

  form(): number | null {
    const { nodes, joinSpreadMs } = this.o;
    this.cluster.countBytes = false; // the busiest phase; traffic is measured afterwards
    for (let i = 0; i < nodes; i++) {
      this.cluster.at(Math.floor((i * joinSpreadMs) / nodes), () => {
        this.cluster.addNode(i);
        if (i > 0) this.cluster.join(i, [0]);
      });
    }
    this.cluster.runUntil(joinSpreadMs);
    const views = this.watch.liveView;
    const formed = this.waitFor(() => this.running().every((i) => views[i] === nodes));
    this.cluster.countBytes = true;
    return formed;
  }

  /** Average bytes each running node sent per second while `phase` ran. */
  traffic(phase: () => void): { udp: number; tcp: number } {
    const start = this.cluster.now;
    const before = this.totals();
    phase();
    const after = this.totals();
    const per = this.running().length * Math.max(1, (this.cluster.now - start) / 1000);
    return { udp: (after.udp - before.udp) / per, tcp: (after.tcp - before.tcp) / per };
  }

  /** Waits until no node has broadcasts left to send. */
  quiet(): number | null {
    const idle = (i: number): boolean => (this.cluster.core(i)?.queueSizes().broadcasts ?? 0) === 0;
    return this.waitFor(() => this.running().every(idle));
  }

  timeJoin(): number | null {
    const i = this.cluster.size;
    const seed = this.rng.int(i);
    this.watch.trackJoin(nodeName(i), this.cluster.now);
    this.cluster.addNode(i);
    this.cluster.join(i, [seed]);
    const others = this.running().filter((j) => j !== i);
    return this.waitFor(() => this.watch.joinSpread(nodeName(i), others) !== null);
  }

  timeDetection(): Detection[] {
    const victims: number[] = [];
    while (victims.length < this.o.kills) {
      const v = 1 + this.rng.int(this.cluster.size - 1);
      if (this.cluster.isLive(v) && !victims.includes(v)) victims.push(v);
    }
    for (const v of victims) {
      this.watch.trackDeath(nodeName(v), this.cluster.now);
      this.watch.excuse(nodeName(v), Infinity);
      this.cluster.kill(v);
      this.gone.push(v);
    }
    const observers = this.running();
    const all = (): boolean =>
      victims.every((v) => this.watch.detection(nodeName(v), observers).allDeadMs !== null);
    this.waitFor(all);
    return victims.map((v) => this.watch.detection(nodeName(v), observers));
  }

  faultWindow(): void {
    const { cluster, o } = this;
    cluster.net.lossRate = o.lossRate;
    const picks = this.rng.shuffle(this.running().filter((i) => i !== 0));
    const n = cluster.size;
    const maxSuspicion =
      o.config.suspicionMaxTimeoutMult *
      suspicionTimeoutMs(o.config.suspicionMult, n, o.config.probeIntervalMs);
    for (const p of picks.slice(0, o.pauses)) {
      this.watch.excuse(nodeName(p), cluster.now + o.pauseMs + maxSuspicion);
      cluster.pause(p, o.pauseMs);
    }
    const slow = picks.slice(o.pauses, o.pauses + o.slows);
    for (const s of slow) cluster.net.setSlow(s, o.slowMs);
    cluster.runUntil(cluster.now + o.faultMs);
    cluster.net.lossRate = 0;
    for (const s of slow) cluster.net.setSlow(s, 0);
  }

  /**
   * Healing may wait for a suspicion started in the fault window to run out (the refutation
   * was lost on the way to some node) and then for a push/pull to repair that node's view.
   */
  healCapMs(): number {
    const c = this.o.config;
    const n = this.cluster.size;
    const maxSuspicion =
      c.suspicionMaxTimeoutMult * suspicionTimeoutMs(c.suspicionMult, n, c.probeIntervalMs);
    return Math.max(this.o.maxPhaseMs, maxSuspicion + 2 * pushPullScaleMs(c.pushPullIntervalMs, n));
  }

  hasConverged(): boolean {
    const running = this.running();
    // A necessary condition first, O(N): each running node counts exactly the running nodes as
    // live. The full O(N^2) check runs only once that holds.
    const views = this.watch.liveView;
    if (!running.every((i) => views[i] === running.length)) return false;
    return hasConverged(this.cluster, running, this.gone);
  }

  converged(): ConvergenceReport {
    return checkConvergence(this.cluster, this.running(), this.gone);
  }

  private totals(): { udp: number; tcp: number } {
    let udp = 0;
    let tcp = 0;
    for (const i of this.running()) {
      const s = this.cluster.stats(i);
      udp += s?.udpBytes ?? 0;
      tcp += s?.tcpBytes ?? 0;
    }
    return { udp, tcp };
  }
}

export function runGossipSim(options: Partial<GossipSimOptions> = {}): GossipSimResult {
  const o = { ...defaultSimOptions, ...options };
  const run = new Run(o);
  const formationMs = run.form();
  const joinMs = run.timeJoin();
  const detections = run.timeDetection();
  const before = run.watch.falsePositives();
  const fault = run.traffic(() => run.faultWindow());
  const healMs = run.waitFor(() => run.hasConverged(), healPollMs, run.healCapMs());
  const after = run.watch.falsePositives();
  const convergence = run.converged();
  const quietMs = run.quiet();
  const steady = run.traffic(() => run.cluster.runUntil(run.cluster.now + o.steadyMs));
  return {
    options: o,
    formationMs,
    joinMs,
    detections,
    steadyBytesPerNodeSec: steady,
    faultBytesPerNodeSec: fault,
    faultFalsePositives: {
      deadPairs: after.deadPairs - before.deadPairs,
      deadNodes: after.deadNodes - before.deadNodes,
      suspectPairs: after.suspectPairs - before.suspectPairs,
    },
    totalFalsePositives: run.watch.falsePositives(),
    healMs,
    convergence,
    quietMs,
    virtualMs: run.cluster.now,
    steps: run.cluster.steps,
  };
}
