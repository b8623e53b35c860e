// N simulated servers on one simulated network under one virtual clock. The cluster owns the
// event loop (`stepOnce`: the earliest of a message delivery or a timer), node lifecycles
// (start, crash, restart, decommission) and the per-node tick timers (slow nodes tick less
// often). Invariants are checked inline by the nodes as every event is handled.
import type { Config, Entry, Message, NodeId, RaftNodeOptions } from '../raft/index.ts';
import { describeMessage } from './describe.ts';
import { InvariantChecker } from './invariants.ts';
import { Network, type NetworkOptions } from './network.ts';
import type { EarlyMode } from './node.ts';
import { SimNode, newStorage, type SnapshotPolicy } from './node.ts';
import type { Prng } from './prng.ts';
import { Scheduler } from './scheduler.ts';

export interface ClusterOptions {
  readonly seed: number;
  /** Voters of the initial configuration. */
  readonly nodes: number;
  readonly raft: Omit<RaftNodeOptions, 'id' | 'random'>;
  /** Milliseconds between ticks of a healthy node. */
  readonly tickMs: number;
  readonly network: NetworkOptions;
  /** Automatic snapshots every [min, max] applied entries (per node), keeping `keep` entries. */
  readonly snapshotEvery: readonly [number, number];
  readonly snapshotKeep: number;
  /**
   * Slow disks: each Ready's write takes [1, maxDelayMs] ms with probability `slowRate`
   * (otherwise it is done at once).
   */
  readonly disk: {
    readonly slowRate: number;
    readonly maxDelayMs: number;
    /** What leaders do during their writes besides applying (RaftNode.earlyReady). */
    readonly early: EarlyMode;
  };
  /** Entries a core keeps in memory behind its applied, stable index (null: all). */
  readonly memoryLogKeep: number | null;
  readonly trace: boolean;
}

export function nodeName(i: number): NodeId {
  return `n${i}`;
}

export class Cluster {
  readonly opts: ClusterOptions;
  readonly sched = new Scheduler();
  readonly network: Network<Message>;
  readonly checker: InvariantChecker;
  private readonly nodes = new Map<NodeId, SimNode>();
  private readonly gone = new Set<NodeId>();
  private readonly rng: Prng;
  steps = 0;
  /** Event trace (only when tracing). */
  readonly traceLines: string[] = [];
  /** The newest configuration any node has applied (so: committed), and its index. */
  committedConfig: { config: Config; index: number };
  private readonly everMember = new Set<NodeId>();
  /** Called when a configuration commits that no longer includes `node`. */
  onRemoved: (node: NodeId) => void = () => undefined;
  /** Called when a node becomes leader. */
  onLeader: (node: NodeId, term: number) => void = () => undefined;
  /** Called when a leader advances its commit index. */
  onLeaderCommit: (node: NodeId, term: number, commit: number) => void = () => undefined;

  constructor(opts: ClusterOptions, rng: Prng) {
    this.opts = opts;
    this.rng = rng;
    this.network = new Network<Message>(rng.fork('network'), opts.network);
    this.checker = new InvariantChecker(() => ({
      seed: opts.seed,
      step: this.steps,
      time: this.sched.now,
    }));
    const voters: NodeId[] = [];
    for (let i = 1; i <= opts.nodes; i++) voters.push(nodeName(i));
    const bootstrap: Config = { voters, learners: [] };
    this.committedConfig = { config: bootstrap, index: 0 };
    for (const id of voters) {
      this.everMember.add(id);
      this.addNode(id, bootstrap);
    }
  }

  get now(): number {
    return this.sched.now;
  }

  /** Counts of what happened in the run (message types, snapshots, conf changes, ...). */
  readonly coverage: Record<string, number> = {};

  count(what: string): void {
    this.coverage[what] = (this.coverage[what] ?? 0) + 1;
  }

  trace(line: string): void {
    if (this.opts.trace) this.traceLines.push(`${this.sched.now}ms #${this.steps} ${line}`);
  }

  /** Creates and starts a node; members of the initial cluster get the bootstrap config. */
  addNode(id: NodeId, bootstrap?: Config): SimNode {
    if (this.nodes.has(id)) throw new Error(`cluster: node ${id} exists`);
    const rng = this.rng.fork(`node:${id}`);
    const diskRng = this.rng.fork(`disk:${id}`);
    const [lo, hi] = this.opts.snapshotEvery;
    const policy: SnapshotPolicy = { every: rng.range(lo, hi), keep: this.opts.snapshotKeep };
    const node = new SimNode(
      id,
      newStorage(bootstrap),
      { ...this.opts.raft, id },
      rng,
      {
        checker: this.checker,
        send: (m) => {
          this.network.send(m, this.sched.now);
        },
        onConfApplied: (_node, entry) => {
          this.confApplied(entry);
        },
        onLeader: (leader, term) => {
          this.onLeader(leader, term);
        },
        onLeaderCommit: (leader, term, commit) => {
          this.onLeaderCommit(leader, term, commit);
        },
        trace: (line) => {
          this.trace(line);
        },
        count: (what) => {
          this.count(what);
        },
        crashBeforeSend: (id) => this.tornCrash(id),
        early: this.opts.disk.early,
        memoryLogKeep: this.opts.memoryLogKeep,
        diskDelayMs: () => {
          const { slowRate, maxDelayMs } = this.opts.disk;
          return slowRate > 0 && diskRng.chance(slowRate) ? diskRng.range(1, maxDelayMs) : 0;
        },
        after: (delayMs, fn) => {
          this.sched.at(this.sched.now + delayMs, 'disk', fn);
        },
      },
      policy,
      this.opts.tickMs,
    );
    this.nodes.set(id, node);
    node.start();
    this.trace(`start ${id}${bootstrap === undefined ? ' (empty)' : ''}`);
    // Spread tick phases so nodes do not tick in lockstep.
    this.scheduleTick(node, this.sched.now + 1 + rng.int(this.opts.tickMs));
    return node;
  }

  private scheduleTick(node: SimNode, time: number): void {
    this.sched.at(time, 'tick', () => {
      if (this.gone.has(node.id)) return;
      node.tick();
      this.scheduleTick(node, this.sched.now + node.tickEvery);
    });
  }

  node(id: NodeId): SimNode | undefined {
    return this.nodes.get(id);
  }

  /** Every node ever started that has not been decommissioned (up or down). */
  ids(): NodeId[] {
    return [...this.nodes.keys()].filter((id) => !this.gone.has(id));
  }

  upNodes(): SimNode[] {
    const out: SimNode[] = [];
    for (const n of this.nodes.values()) if (n.up) out.push(n);
    return out;
  }

  downIds(): NodeId[] {
    return this.ids().filter((id) => this.nodes.get(id)?.up === false);
  }

  isGone(id: NodeId): boolean {
    return this.gone.has(id);
  }

  /** The live leader with the highest term, if any. */
  leader(): SimNode | null {
    let best: SimNode | null = null;
    for (const n of this.nodes.values()) {
      if (n.up && n.role === 'leader' && (best === null || n.term > best.term)) best = n;
    }
    return best;
  }

  /**
   * Crashes a node: it loses its volatile state. With `powerLoss`, messages it sent that are
   * still in flight are lost too (they were in its buffers, not yet on the wire).
   */
  crash(id: NodeId, powerLoss = false): void {
    const n = this.nodes.get(id);
    if (n === undefined || !n.up) return;
    const lost = powerLoss ? this.network.discard((m) => m.from === id) : 0;
    this.count(powerLoss ? 'powerLoss' : 'crash');
    this.trace(`crash ${id}${powerLoss ? ` (power loss, ${lost} messages lost)` : ''}`);
    n.crash();
    // Its peers see their connections from it reset a moment later (messages it sent before
    // may still be in flight and arrive after that, which TCP would not allow: harsher).
    for (const other of this.nodes.values()) {
      if (other.id === id || !other.up) continue;
      this.sched.after(1, `${other.id} loses connection from ${id}`, () => {
        if (other.up) {
          this.count('connectionLost');
          other.connectionLost(id);
        }
      });
    }
  }

  restart(id: NodeId): void {
    const n = this.nodes.get(id);
    if (n === undefined || n.up || this.gone.has(id)) return;
    this.count('restart');
    this.trace(`restart ${id}`);
    n.start();
  }

  private readonly armed = new Map<NodeId, () => void>();

  /**
   * Arms a crash of `id` in the middle of its next Ready: after persisting, before sending.
   * `after` runs once it has happened (the caller schedules the restart).
   */
  armTornCrash(id: NodeId, after: () => void): void {
    this.armed.set(id, after);
  }

  disarmAll(): void {
    this.armed.clear();
  }

  private tornCrash(id: NodeId): boolean {
    const after = this.armed.get(id);
    if (after === undefined) return false;
    this.armed.delete(id);
    this.count('tornCrash');
    this.trace(`crash ${id} after persisting a Ready, before sending it`);
    this.sched.after(0, `torn crash ${id} done`, after);
    return true;
  }

  /** Shuts a removed node down for good. */
  decommission(id: NodeId): void {
    if (this.gone.has(id)) return;
    this.trace(`decommission ${id}`);
    this.nodes.get(id)?.crash();
    this.gone.add(id);
  }

  private confApplied(entry: Entry & { readonly type: 'conf' }): void {
    const { config, index } = entry;
    if (index <= this.committedConfig.index) return;
    this.count(`conf:${entry.change.type}`);
    const before = this.committedConfig.config;
    this.committedConfig = { config, index };
    const inConfig = (c: Config, id: NodeId): boolean =>
      c.voters.includes(id) || c.learners.includes(id);
    for (const id of [...config.voters, ...config.learners]) this.everMember.add(id);
    for (const id of [...before.voters, ...before.learners]) {
      if (!inConfig(config, id)) this.onRemoved(id);
    }
  }

  wasMember(id: NodeId): boolean {
    return this.everMember.has(id);
  }

  /** Handles the earliest pending event; false when there is none. */
  stepOnce(): boolean {
    const tNet = this.network.nextTime();
    const tTask = this.sched.nextTime();
    if (tNet === Infinity && tTask === Infinity) return false;
    this.steps++;
    if (tNet <= tTask) {
      this.sched.now = tNet;
      const d = this.network.deliverNext(tNet);
      if (d === undefined) return true;
      const m = d.message;
      this.count(m.type);
      if (m.type === 'snap' && m.offset > 0) this.count('snapLaterChunk');
      const to = this.nodes.get(m.to);
      if (this.opts.trace)
        this.trace(describeMessage(m) + (to?.up === true ? '' : ' (to a down node)'));
      to?.step(m);
      return true;
    }
    this.sched.now = tTask;
    const task = this.sched.pop();
    if (task !== undefined) {
      if (this.opts.trace && task.label !== 'tick') this.trace(task.label);
      task.run();
    }
    return true;
  }

  /** Runs events until `done()` holds or the clock passes `deadline`; true if `done()` held. */
  runUntil(done: () => boolean, deadline: number): boolean {
    while (this.sched.now <= deadline) {
      if (done()) return true;
      if (!this.stepOnce()) return done();
    }
    return done();
  }
}
