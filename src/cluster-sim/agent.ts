// One simulated Sappers agent: a GossipCore carrying the agent's metadata, a Raft core on an
// in-memory disk (a crash keeps only what was persisted), bootstrap by gossip while it has no
// state, and the leader's autopilot, one membership change at a time. It does what
// src/agent/agent.ts, src/cluster/bootstrap-waiter.ts and src/cluster/leader-loop.ts do, on the
// simulator's clock instead of timers: the decisions and mappings (the bootstrap gate over
// gossip's peers, the bootstrap log, Autopilot, the leader loop's observation and conf changes,
// gossip's reconnect target) are the real ones, imported.
import pino from 'pino';
import { BootstrapGate, type BootstrapDecision } from '../cluster/bootstrap.ts';
import { bootstrapEntries } from '../cluster/bootstrap-log.ts';
import { bootstrapPeersOf } from '../cluster/bootstrap-waiter.ts';
import { Autopilot } from '../cluster/autopilot.ts';
import type { AutopilotAction, AutopilotObservation } from '../cluster/autopilot-types.ts';
import {
  aloneCheckMs,
  joinBackoffMaxMs,
  joinBackoffMinMs,
  toPeer,
  type GossipPeer,
} from '../cluster/gossip-service.ts';
import { confChangeOf, LeaderLoop, leaderTickMs } from '../cluster/leader-loop.ts';
import { advertisedBootstrapExpect, encodeMeta, type AgentMeta } from '../cluster/meta.ts';
import { FailedMembers, pickReconnectTarget } from '../cluster/reconnect.ts';
import { defaultLANConfig, GossipCore, type Member, type OutStream } from '../gossip/core/index.ts';
import type { GossipAddress, GossipMessage } from '../gossip/messages.ts';
import { MemoryStorage, RaftError, type Message } from '../raft/index.ts';
import { storageLogView } from '../sim/log-view.ts';
import type { Prng } from '../sim/prng.ts';
import { RaftHost, type RaftHostEnv } from './raft-host.ts';
import type { AgentSpec, Scenario } from './scenario.ts';
import { planBuggyRemoval, voterChangeOf } from './actions.ts';
import type { ClusterChecks } from './checks.ts';

export interface AgentEnv extends Omit<RaftHostEnv, 'send'> {
  readonly scenario: Scenario;
  readonly checks: ClusterChecks;
  now(): number;
  /** Runs `fn` after `delayMs` of virtual time. */
  after(delayMs: number, label: string, fn: () => void): void;
  sendRaft(m: Message): void;
  sendPacket(from: string, to: GossipAddress, msgs: GossipMessage[]): void;
  openStream(from: string, s: OutStream): void;
  /** --join: every other agent's gossip address. */
  joinTargets(self: string): GossipAddress[];
  /** Checks a voter change against the omniscient view (throws on a violation). */
  checkVoterChange(
    leader: string,
    term: number,
    leaderSinceMs: number,
    a: AutopilotAction,
    votersAfter: string[],
  ): void;
  count(what: string): void;
}

/** BootstrapWaiter's recheck period and the agent's meta refresh period. */
const bootstrapRecheckMs = 250;
const metaRefreshMs = 1_000;
const silentLogger = pino({ enabled: false });

export function simAddress(index: number): GossipAddress {
  return { host: `10.0.0.${index}`, port: 7946 };
}

export class SimAgent {
  readonly spec: AgentSpec;
  readonly storage = new MemoryStorage();
  /** Raft ticks come every tickMs x slowFactor. */
  slowFactor = 1;
  private readonly env: AgentEnv;
  private readonly rng: Prng;
  private incarnation = 0;
  private raftHost: RaftHost | null = null;
  private gossipCore: GossipCore | null = null;
  private holdRaft = false;
  private decided = true;
  private hadState = false;
  private bootstrapClusterId: string | null = null;
  private lastMeta: Uint8Array = new Uint8Array(0);
  private gossipTickAt = Infinity;
  private gossipToken = 0;
  private leaderLoop: LeaderLoop | null = null;
  private autopilot = new Autopilot();
  private ledTerm = -1;
  private pending: { readonly index: number; readonly term: number } | null = null;
  private gate = new BootstrapGate();
  private failed = new FailedMembers();
  private nextReconnectMs = 0;
  private reconnectRng: Prng | null = null;

  constructor(spec: AgentSpec, env: AgentEnv, rng: Prng) {
    this.spec = spec;
    this.env = env;
    this.rng = rng;
  }

  get id(): string {
    return this.spec.id;
  }

  /** Which start this is (stream replies to an earlier one are dropped). */
  get incarnationNumber(): number {
    return this.incarnation;
  }

  get up(): boolean {
    return this.raftHost !== null;
  }

  get raft(): RaftHost | null {
    return this.raftHost;
  }

  get gossip(): GossipCore | null {
    return this.gossipCore;
  }

  /** Waiting for --bootstrap: Raft traffic is dropped so that its empty log stays empty. */
  get holdingRaft(): boolean {
    return this.holdRaft;
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  start(): void {
    if (this.up) return;
    const inc = ++this.incarnation;
    const initial = this.storage.initialState();
    this.hadState = initial.entries.length > 0 || initial.hardState.term > 0;
    this.bootstrapClusterId = null;
    const e = this.spec.expect;
    if (!this.hadState && e === 1) this.writeBootstrap([{ id: this.id, raftAddr: this.raftAddr }]);
    this.holdRaft = !this.hadState && e > 1;
    this.decided = !this.holdRaft;
    this.gate = new BootstrapGate(this.env.scenario.bootstrapSettleMs);
    this.failed = new FailedMembers();
    this.nextReconnectMs = this.env.now() + this.env.scenario.reconnectIntervalMs;
    this.reconnectRng = this.rng.fork(`reconnect:${inc}`);
    this.raftHost = this.newRaftHost();
    if (!this.hadState && e === 1) this.raftHost.core.campaign();
    this.raftHost.process();
    this.lastMeta = encodeMeta(this.meta()).bytes;
    this.gossipCore = new GossipCore({
      name: this.id,
      addr: simAddress(this.spec.index),
      meta: this.lastMeta,
      config: defaultLANConfig,
      random: this.rng.fork(`gossip:${inc}`),
      nowMs: this.env.now(),
    });
    this.gossipTickAt = Infinity;
    this.leaderLoop = this.newLeaderLoop();
    this.ledTerm = -1;
    this.pending = null;
    this.env.trace(`${this.id} starts (${this.hadState ? 'with state' : 'empty'})`);
    this.gossipCore.join(this.env.joinTargets(this.id));
    this.flushGossip();
    this.every(
      inc,
      () => (this.spec.expect > 1 ? bootstrapRecheckMs : 0),
      'bootstrap',
      () => this.checkBootstrap(),
    );
    this.every(
      inc,
      () => metaRefreshMs,
      'meta',
      () => this.refreshMeta(),
    );
    this.every(
      inc,
      () => leaderTickMs,
      'leader',
      () => this.leaderDuties(),
    );
    this.every(
      inc,
      () => this.env.scenario.tickMs * this.slowFactor,
      'raft-tick',
      () => {
        this.raftHost?.tick();
      },
    );
    this.joinLoop(inc, joinBackoffMinMs);
  }

  /** Loses everything but the disk. */
  crash(): void {
    if (!this.up) return;
    this.raftHost = null;
    this.gossipCore = null;
    this.leaderLoop = null;
    this.holdRaft = false;
    this.env.trace(`${this.id} crashes`);
  }

  private newRaftHost(): RaftHost {
    const random = this.rng.fork(`raft:${this.incarnation}:${this.storage.lastIndex()}`);
    return new RaftHost(
      this.id,
      this.storage,
      random,
      this.env.scenario.electionTicks,
      {
        ...this.env,
        send: (m) => this.env.sendRaft(m),
      },
      () => this.env.now(),
    );
  }

  private newLeaderLoop(): LeaderLoop {
    return new LeaderLoop({
      selfId: this.id,
      raftStatus: () => this.requireRaft().core.status(),
      gossipPeers: () => this.peers(),
      clusterId: () => this.raftHost?.state.clusterId ?? null,
      memberRows: () => [],
      propose: () => Promise.reject(new Error('not used by the simulator')),
      proposeConfChange: () => Promise.reject(new Error('not used by the simulator')),
      autopilot: this.env.scenario.autopilot,
      logger: silentLogger,
      nowMs: () => this.env.now(),
    });
  }

  private requireRaft(): RaftHost {
    if (this.raftHost === null) throw new Error(`${this.id} is down`);
    return this.raftHost;
  }

  /** A periodic task of this incarnation; a period of 0 ends it. */
  private every(inc: number, period: () => number, label: string, fn: () => void): void {
    const p = period();
    if (p <= 0) return;
    this.env.after(p, `${this.id} ${label}`, () => {
      if (this.incarnation !== inc || !this.up) return;
      fn();
      this.every(inc, period, label, fn);
    });
  }

  // ---- gossip ------------------------------------------------------------------------------

  peers(): GossipPeer[] {
    return (this.gossipCore?.members() ?? []).map(toPeer);
  }

  private joinLoop(inc: number, delayMs: number): void {
    this.env.after(delayMs, `${this.id} join`, () => {
      const g = this.gossipCore;
      if (this.incarnation !== inc || g === null) return;
      const alone = !g.members().some((m) => m.name !== this.id && isAlive(m));
      if (!alone) {
        this.reconnect(g);
        return this.joinLoop(inc, aloneCheckMs);
      }
      g.join(this.env.joinTargets(this.id));
      this.flushGossip();
      this.joinLoop(inc, Math.min(joinBackoffMaxMs, delayMs * 2));
    });
  }

  /** GossipService's reconnect: remember failed members; when due, push-pull with one. */
  private reconnect(g: GossipCore): void {
    const now = this.env.now();
    const members = g.members();
    this.failed.observe(members, this.id, now);
    if (now < this.nextReconnectMs) return;
    this.nextReconnectMs = now + this.env.scenario.reconnectIntervalMs;
    const target = pickReconnectTarget({
      selfName: this.id,
      selfAddr: simAddress(this.spec.index),
      members,
      failed: this.failed.list(),
      joinTargets: this.env.joinTargets(this.id),
      random: () => this.reconnectRng?.float() ?? 0,
    });
    if (target === null) return;
    this.env.count('gossip.reconnect');
    g.join([target]);
    this.flushGossip();
  }

  gossipTick(token: number): void {
    const g = this.gossipCore;
    if (g === null || token !== this.gossipToken) return;
    this.gossipTickAt = Infinity;
    g.tick(this.env.now());
    this.flushGossip();
  }

  receivePacket(from: GossipAddress, msgs: readonly GossipMessage[]): void {
    const g = this.gossipCore;
    if (g === null) return;
    g.tick(this.env.now());
    g.receivePacket(from, msgs);
    this.flushGossip();
  }

  handleStream(from: GossipAddress, msg: GossipMessage): GossipMessage | null {
    const g = this.gossipCore;
    if (g === null) return null;
    g.tick(this.env.now());
    const answer = g.handleStream(from, msg);
    this.flushGossip();
    return answer;
  }

  streamResult(id: number, reply: GossipMessage | Error): void {
    const g = this.gossipCore;
    if (g === null) return;
    g.tick(this.env.now());
    g.streamResult(id, reply);
    this.flushGossip();
  }

  private flushGossip(): void {
    const g = this.gossipCore;
    if (g === null) return;
    const d = g.drain();
    for (const p of d.packets) this.env.sendPacket(this.id, p.to, p.msgs);
    for (const s of d.streams) this.env.openStream(this.id, s);
    const at = Math.max(g.nextTickAt(), this.env.now());
    if (at < this.gossipTickAt) {
      this.gossipTickAt = at;
      const token = ++this.gossipToken;
      this.env.after(at - this.env.now(), `${this.id} gossip`, () => this.gossipTick(token));
    }
    // BootstrapWaiter re-decides on every membership event.
    if (d.events.length > 0 && !this.decided) this.checkBootstrap();
  }

  private meta(): AgentMeta {
    const s = this.raftHost?.core.status();
    const hasState = this.hadState || (s !== undefined && (s.lastIndex > 0 || s.snapshotIndex > 0));
    return {
      nodeId: this.id,
      raftAddr: this.raftAddr,
      httpAddr: `10.0.0.${this.spec.index}:11000`,
      tags: this.spec.tags,
      cpuFreeMilli: this.spec.cpuFreeMilli,
      memFreeBytes: this.spec.memFreeBytes,
      bootstrapExpect: advertisedBootstrapExpect(this.spec.expect, hasState),
      hasState,
      clusterId: this.raftHost?.state.clusterId ?? this.bootstrapClusterId,
      leaderId: s?.leader ?? null,
    };
  }

  private refreshMeta(): void {
    const g = this.gossipCore;
    if (g === null) return;
    const bytes = encodeMeta(this.meta()).bytes;
    if (sameBytes(bytes, this.lastMeta)) return;
    this.lastMeta = bytes;
    g.setMeta(bytes);
    this.flushGossip();
  }

  // ---- raft --------------------------------------------------------------------------------

  receiveRaft(m: Message): void {
    if (this.raftHost === null || this.holdRaft) return;
    this.raftHost.step(m);
  }

  // ---- bootstrap ---------------------------------------------------------------------------

  private checkBootstrap(): void {
    if (this.decided || this.gossipCore === null) return;
    const d = this.decide();
    if (d.kind === 'wait' || d.kind === 'conflict') return;
    this.decided = true;
    if (d.kind === 'never') {
      this.env.trace(`${this.id} will not bootstrap: ${d.reason}`);
      this.holdRaft = false;
      this.refreshMeta();
      return;
    }
    this.writeBootstrap(d.voters);
    this.raftHost = this.newRaftHost();
    this.holdRaft = false;
    this.raftHost.core.campaign();
    this.raftHost.process();
    this.refreshMeta();
  }

  /** BootstrapWaiter's decision, over gossip's peers mapped as it maps them. */
  private decide(): BootstrapDecision {
    const bug = this.env.scenario.bug === 'lowestIdIgnored';
    const peers = bootstrapPeersOf(this.peers()).map((p) =>
      bug && p.id !== this.id ? { ...p, bootstrapExpect: 0 } : p,
    );
    const input = { selfId: this.id, expect: this.spec.expect, hasState: false, peers };
    return this.gate.decide(input, this.env.now());
  }

  private get raftAddr(): string {
    return `10.0.0.${this.spec.index}:12000`;
  }

  private writeBootstrap(voters: readonly { id: string; raftAddr: string }[]): void {
    const clusterId = `cluster-${this.id}-${this.rng.fork(`cluster:${this.incarnation}`).next().toString(16)}`;
    this.bootstrapClusterId = clusterId;
    const log = bootstrapEntries(this.id, voters, clusterId, this.env.now());
    this.storage.append(log.entries);
    this.storage.setHardState(log.hardState);
    const ids = voters.map((v) => v.id);
    this.env.checks.onBootstrap({ agent: this.id, voters: ids, clusterId, atMs: this.env.now() });
    this.env.checker.onPersistEntries(this.id, log.entries, [], storageLogView(this.storage));
    this.env.checker.onPersistHardState(this.id, log.hardState.term, log.hardState.vote);
    this.env.onPersistEntries(this.id, log.entries);
    this.env.count('bootstrap');
    this.env.trace(`${this.id} bootstraps ${clusterId} with voters [${ids.join(',')}]`);
  }

  // ---- leader duties -------------------------------------------------------------------------

  private leaderDuties(): void {
    const host = this.raftHost;
    const loop = this.leaderLoop;
    if (host === null || loop === null) return;
    const s = host.core.status();
    const peers = this.peers();
    if (s.role !== 'leader') {
      this.ledTerm = -1;
      return;
    }
    if (this.ledTerm !== s.term) {
      this.ledTerm = s.term;
      this.autopilot = new Autopilot();
      this.pending = null;
    }
    if (this.pending !== null && (s.commit >= this.pending.index || s.term !== this.pending.term)) {
      this.pending = null;
    }
    const obs: AutopilotObservation = {
      ...loop.observe(s, peers),
      pendingConfChange: this.pending !== null,
    };
    let action = this.autopilot.step(obs);
    if (
      action === null &&
      this.env.scenario.bug === 'removeWithoutQuorumCheck' &&
      !obs.pendingConfChange
    ) {
      action = planBuggyRemoval(obs);
    }
    if (action === null) return;
    const change = confChangeOf(action);
    const after = voterChangeOf(s.config, change);
    try {
      const index = host.core.proposeConfChange(change);
      this.pending = { index, term: s.term };
      if (after !== null)
        this.env.checkVoterChange(this.id, s.term, host.leaderSinceMs, action, after);
      this.env.count(`autopilot.${action.type}`);
      this.env.trace(`${this.id} autopilot ${action.type} ${action.id}: ${action.reason}`);
      host.process();
    } catch (err) {
      if (!(err instanceof RaftError)) throw err;
      this.env.count(`autopilot.refused.${err.code}`);
    }
  }
}

function isAlive(m: Member): boolean {
  return m.state === 'alive' || m.state === 'suspect';
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
