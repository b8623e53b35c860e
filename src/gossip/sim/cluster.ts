// N gossip cores on a simulated network, driven by a virtual clock through one event queue:
// each core is ticked exactly when nextTickAt() says, and packets and stream exchanges arrive
// after simulated delays. Nodes can be killed, paused (their input waits in a bounded socket
// buffer and their timers stall until they resume) or slowed. Everything is a pure function of
// the seed, so a run replays exactly.
import { defaultLANConfig, type GossipConfig } from '../core/config.ts';
import { GossipCore } from '../core/core.ts';
import { NameIds } from '../core/name-ids.ts';
import { estimateSize, packetSize, type SizeOf } from '../core/size.ts';
import type { MemberEvent } from '../core/types.ts';
import type { GossipAddress, GossipMessage } from '../messages.ts';
import { TimedHeap } from '../../sim/heap.ts';
import { Prng } from '../../sim/prng.ts';
import { defaultNetworkOptions, SimNetwork, type NetworkOptions } from './network.ts';
import { nodeName, simAddr } from './testkit.ts';

export interface ClusterOptions {
  readonly seed: number;
  readonly config?: GossipConfig;
  readonly network?: Partial<NetworkOptions>;
  readonly sizeOf?: SizeOf;
  /** Input a paused node holds for later (its socket buffers); the rest is dropped. */
  readonly pauseBufferLimit?: number;
}

export interface NodeStats {
  udpBytes: number;
  udpPackets: number;
  tcpBytes: number;
}

type SimEvent =
  | { readonly k: 'tick'; readonly node: number; readonly token: number }
  | {
      readonly k: 'packet';
      readonly from: number;
      readonly to: number;
      readonly msgs: GossipMessage[];
    }
  | {
      readonly k: 'streamReq';
      readonly from: number;
      readonly to: number;
      readonly id: number;
      readonly msg: GossipMessage;
    }
  | {
      readonly k: 'streamRes';
      readonly to: number;
      readonly id: number;
      readonly reply: GossipMessage | Error;
    }
  | { readonly k: 'resume'; readonly node: number }
  | { readonly k: 'call'; readonly fn: () => void };

interface SimNode {
  readonly core: GossipCore;
  readonly addr: GossipAddress;
  killed: boolean;
  pausedUntil: number;
  readonly held: SimEvent[];
  tickToken: number;
  tickAt: number;
  readonly stats: NodeStats;
}

export type EventObserver = (observer: number, e: MemberEvent, nowMs: number) => void;

export class GossipCluster {
  readonly net: SimNetwork;
  readonly config: GossipConfig;
  now = 0;
  /** Events processed so far (a cost measure). */
  steps = 0;
  onEvent: EventObserver | null = null;
  /** Estimate and count bytes sent (costs a size estimate per message). */
  countBytes = true;
  private readonly heap = new TimedHeap<SimEvent>();
  private readonly nodes: (SimNode | undefined)[] = [];
  private readonly byHost = new Map<string, number>();
  private readonly rng: Prng;
  private readonly sizeOf: SizeOf;
  private readonly pauseBufferLimit: number;
  /** One name-id table for all cores: each indexes its members by array slot. */
  private readonly names = new NameIds();

  constructor(opts: ClusterOptions) {
    this.rng = new Prng(opts.seed);
    this.config = opts.config ?? defaultLANConfig;
    this.sizeOf = opts.sizeOf ?? estimateSize;
    this.pauseBufferLimit = opts.pauseBufferLimit ?? 1024;
    const net = { ...defaultNetworkOptions, ...opts.network };
    this.net = new SimNetwork(this.rng.fork('network'), net);
  }

  get size(): number {
    return this.nodes.length;
  }

  /** Starts node `i` now (it knows only itself until it joins). */
  addNode(i: number): GossipCore {
    const addr = simAddr(i);
    const core = new GossipCore({
      name: nodeName(i),
      addr,
      meta: new Uint8Array(0),
      config: this.config,
      random: this.rng.fork(`node-${i}`),
      nowMs: this.now,
      sizeOf: this.sizeOf,
      names: this.names,
    });
    const stats = { udpBytes: 0, udpPackets: 0, tcpBytes: 0 };
    const node: SimNode = {
      core,
      addr,
      killed: false,
      pausedUntil: 0,
      held: [],
      tickToken: 0,
      tickAt: Infinity,
      stats,
    };
    this.nodes[i] = node;
    this.byHost.set(addr.host, i);
    this.flush(i);
    return core;
  }

  core(i: number): GossipCore | undefined {
    return this.nodes[i]?.core;
  }

  stats(i: number): NodeStats | undefined {
    return this.nodes[i]?.stats;
  }

  /** Started and not killed (it may be paused). */
  isLive(i: number): boolean {
    const n = this.nodes[i];
    return n !== undefined && !n.killed;
  }

  isPaused(i: number): boolean {
    return (this.nodes[i]?.pausedUntil ?? 0) > this.now;
  }

  join(i: number, seeds: readonly number[]): void {
    this.nodes[i]?.core.join(seeds.map(simAddr));
    this.flush(i);
  }

  leave(i: number): void {
    this.nodes[i]?.core.leave();
    this.flush(i);
  }

  /** Stops node `i` for good: it never answers again. */
  kill(i: number): void {
    const n = this.nodes[i];
    if (n !== undefined) n.killed = true;
  }

  /** Freezes node `i` for `ms`: no timers run, input waits in its socket buffer. */
  pause(i: number, ms: number): void {
    const n = this.nodes[i];
    if (n === undefined || n.killed) return;
    n.pausedUntil = Math.max(n.pausedUntil, this.now + ms);
    this.heap.push(n.pausedUntil, { k: 'resume', node: i });
  }

  /** Runs `fn` at virtual time `t` (scenario steps). */
  at(t: number, fn: () => void): void {
    this.heap.push(Math.max(t, this.now), { k: 'call', fn });
  }

  runUntil(t: number): void {
    for (let e = this.heap.peek(); e !== undefined && e.time <= t; e = this.heap.peek()) {
      this.heap.pop();
      this.now = e.time;
      this.steps++;
      this.dispatch(e.item);
    }
    this.now = Math.max(this.now, t);
  }

  private dispatch(e: SimEvent): void {
    if (e.k === 'call') return e.fn();
    const i = e.k === 'tick' || e.k === 'resume' ? e.node : e.to;
    const n = this.nodes[i];
    if (n === undefined || n.killed) {
      if (e.k === 'streamReq') this.reply(e.to, e.from, e.id, new Error('connection refused'));
      return;
    }
    if (e.k === 'resume') return this.resume(i, n);
    if (e.k === 'tick') {
      if (e.token !== n.tickToken || n.pausedUntil > this.now) return;
      n.tickAt = Infinity;
      n.core.tick(this.now);
    } else if (n.pausedUntil > this.now) {
      if (n.held.length < this.pauseBufferLimit) n.held.push(e);
      return;
    } else {
      n.core.tick(this.now);
      this.deliver(n, e);
    }
    this.flush(i);
  }

  private deliver(n: SimNode, e: SimEvent): void {
    if (e.k === 'packet') {
      n.core.receivePacket(this.addrOf(e.from), e.msgs);
    } else if (e.k === 'streamReq') {
      const answer = n.core.handleStream(this.addrOf(e.from), e.msg);
      if (answer !== null && this.countBytes) n.stats.tcpBytes += this.sizeOf(answer);
      this.reply(e.to, e.from, e.id, answer ?? new Error('connection closed'));
    } else if (e.k === 'streamRes') {
      n.core.streamResult(e.id, e.reply);
    }
  }

  /** Node `i`'s address, made once per node rather than once per packet. */
  private addrOf(i: number): GossipAddress {
    return this.nodes[i]?.addr ?? simAddr(i);
  }

  /** Held input first (it arrived before the timers fire), then the overdue timers. */
  private resume(i: number, n: SimNode): void {
    if (n.pausedUntil > this.now) return;
    for (const e of n.held.splice(0)) this.deliver(n, e);
    n.core.tick(this.now);
    n.tickAt = Infinity;
    this.flush(i);
  }

  private reply(from: number, to: number, id: number, reply: GossipMessage | Error): void {
    const delay = this.net.tcpReplyDelay(from, to);
    const late = this.now + this.config.tcpTimeoutMs;
    const at = delay === null ? late : this.now + delay;
    this.heap.push(at, {
      k: 'streamRes',
      to,
      id,
      reply: delay === null ? new Error('timeout') : reply,
    });
  }

  /** Sends what core `i` has to say, reports its events, and re-arms its tick. */
  private flush(i: number): void {
    const n = this.nodes[i];
    if (n === undefined) return;
    const d = n.core.drain();
    for (const p of d.packets) {
      if (this.countBytes) n.stats.udpBytes += packetSize(p.msgs, this.sizeOf);
      n.stats.udpPackets++;
      const to = this.byHost.get(p.to.host);
      const delay = to === undefined ? null : this.net.udpDelay(i, to);
      if (to !== undefined && delay !== null) {
        this.heap.push(this.now + delay, { k: 'packet', from: i, to, msgs: p.msgs });
      }
    }
    for (const s of d.streams) {
      if (this.countBytes) n.stats.tcpBytes += this.sizeOf(s.msg);
      const to = this.byHost.get(s.to.host);
      const delay = to === undefined ? null : this.net.tcpConnectDelay(i, to);
      if (to === undefined || delay === null) {
        const err = new Error('timeout');
        this.heap.push(this.now + this.config.tcpTimeoutMs, {
          k: 'streamRes',
          to: i,
          id: s.id,
          reply: err,
        });
      } else {
        this.heap.push(this.now + delay, { k: 'streamReq', from: i, to, id: s.id, msg: s.msg });
      }
    }
    if (this.onEvent !== null) for (const e of d.events) this.onEvent(i, e, this.now);
    this.rearm(i, n);
  }

  private rearm(i: number, n: SimNode): void {
    if (n.killed || n.pausedUntil > this.now) return;
    const at = Math.max(n.core.nextTickAt(), this.now);
    if (at >= n.tickAt) return;
    n.tickToken++;
    n.tickAt = at;
    this.heap.push(at, { k: 'tick', node: i, token: n.tickToken });
  }
}
