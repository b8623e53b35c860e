// The gossip membership core (SWIM with Lifeguard, as HashiCorp memberlist does it) as a
// deterministic state machine. Inputs: tick(nowMs), packets, streams, and the user calls.
// Outputs: drain() hands out UDP packets, TCP streams to open, and membership events.
// Time only moves with tick(): call tick(now) before delivering input, so that state changes
// carry the right time; nextTickAt() says when tick() next has work. No sockets, timers, clock
// or ambient randomness inside: randomness comes from the injected `random`.
import type { GossipAddress, GossipMessage } from '../messages.ts';
import { NodeState } from '../messages.ts';
import { hostToBytes } from './addr.ts';
import { Awareness } from './awareness.ts';
import { BroadcastQueue } from './broadcast-queue.ts';
import { buildVsn, metaMaxSize, validateConfig, type GossipConfig } from './config.ts';
import { Outbox, takeBroadcasts, type CoreContext } from './context.ts';
import { Membership } from './membership.ts';
import { NameIds } from './name-ids.ts';
import { noSlot, NodeTable, stateName } from './node-table.ts';
import { Prober } from './probe.ts';
import { localState, verifyProtocol } from './push-pull.ts';
import { compoundHeaderOverhead, estimateSize, maxCompoundParts, type SizeOf } from './size.ts';
import { StreamTable } from './streams.ts';
import { pushPullScaleMs } from './timing.ts';
import type { Drained, Member, MemberState, Random } from './types.ts';

export interface GossipCoreOptions {
  readonly name: string;
  /** Where this node listens (an IP literal), as advertised to others. */
  readonly addr: GossipAddress;
  readonly meta: Uint8Array;
  readonly config: GossipConfig;
  readonly random: Random;
  readonly nowMs: number;
  /** Encoded size of a message, for packet budgets; a conservative estimate by default. */
  readonly sizeOf?: SizeOf;
  /**
   * Member name ids, shareable by the cores of one process (a simulator) so that each core
   * indexes its members by array slot; by default the core has its own.
   */
  readonly names?: NameIds;
}

export interface QueueSizes {
  readonly broadcasts: number;
  readonly suspicions: number;
  readonly relays: number;
  readonly streams: number;
  readonly droppedOutputs: number;
}

function checkMeta(meta: Uint8Array): void {
  if (meta.length > metaMaxSize) {
    throw new RangeError(`gossip meta: at most ${metaMaxSize} bytes, got ${meta.length}`);
  }
}

/** The first tick at or after `nowMs` on a ticker of `period` last due at `at`. */
function nextPeriod(at: number, period: number, nowMs: number): number {
  return at + period * (Math.floor((nowMs - at) / period) + 1);
}

export class GossipCore {
  readonly name: string;
  private readonly ctx: CoreContext;
  private readonly membership: Membership;
  private readonly prober: Prober;
  private readonly streams: StreamTable;
  private readonly addrBytes: Uint8Array;
  private readonly port: number;
  private nextGossipAt: number;
  private nextPushPullAt: number;

  constructor(opts: GossipCoreOptions) {
    const { config, random, nowMs, name } = opts;
    validateConfig(config);
    checkMeta(opts.meta);
    const addrBytes = hostToBytes(opts.addr.host);
    if (addrBytes === null) throw new RangeError(`gossip addr: not an IP: ${opts.addr.host}`);
    if (name === '') throw new RangeError('gossip name: must not be empty');
    const { port } = opts.addr;
    if (!Number.isInteger(port) || port <= 0 || port > 0xffff) {
      throw new RangeError(`gossip addr: bad port ${port}`);
    }
    this.name = name;
    this.addrBytes = addrBytes;
    this.port = opts.addr.port;
    const out = new Outbox(config.maxPendingOutputs);
    const names = opts.names ?? new NameIds();
    this.ctx = {
      self: name,
      config,
      random,
      table: new NodeTable(random, names),
      awareness: new Awareness(config.awarenessMaxMultiplier),
      broadcasts: new BroadcastQueue(config.maxQueuedBroadcasts, names),
      out,
      sizeOf: opts.sizeOf ?? estimateSize,
      nowMs,
    };
    this.membership = new Membership(this.ctx);
    this.streams = new StreamTable(out, config.maxPendingOutputs);
    // Random phases keep the cluster's probe and gossip rounds from synchronising.
    const source = { SourceAddr: addrBytes, SourcePort: this.port, SourceNode: name };
    const firstProbe = nowMs + random.int(config.probeIntervalMs);
    const deps = { ctx: this.ctx, membership: this.membership, streams: this.streams, source };
    this.prober = new Prober(deps, firstProbe);
    this.nextGossipAt = nowMs + random.int(config.gossipIntervalMs);
    const pp = config.pushPullIntervalMs;
    this.nextPushPullAt = pp > 0 ? nowMs + random.int(pp) : Infinity;
    this.announce(opts.meta);
  }

  /** Runs every timer due at `nowMs`: probe steps, suspicion expiry, gossip, push/pull. */
  tick(nowMs: number): void {
    const { ctx } = this;
    if (!Number.isFinite(nowMs)) throw new RangeError(`gossip tick: bad time ${nowMs}`);
    ctx.nowMs = Math.max(ctx.nowMs, nowMs); // the clock never runs backwards
    const now = ctx.nowMs;
    this.prober.tick();
    this.membership.expireSuspicions();
    if (now >= this.nextGossipAt) {
      this.gossip();
      this.nextGossipAt = nextPeriod(this.nextGossipAt, ctx.config.gossipIntervalMs, now);
    }
    if (now >= this.nextPushPullAt) {
      this.pushPull();
      this.nextPushPullAt = now + pushPullScaleMs(ctx.config.pushPullIntervalMs, ctx.table.size);
    }
    this.streams.expire(now);
  }

  /** When tick() next has something to do. */
  nextTickAt(): number {
    return Math.min(
      this.prober.nextDeadline(),
      this.membership.nextSuspicionDeadline(),
      this.nextGossipAt,
      this.nextPushPullAt,
    );
  }

  /** The messages of one decoded UDP packet, in order. */
  receivePacket(from: GossipAddress, msgs: readonly GossipMessage[]): void {
    for (const m of msgs) this.receive(from, m);
  }

  /** An incoming TCP exchange: answers push/pull with our state, a TCP ping with an ack. */
  handleStream(_from: GossipAddress, msg: GossipMessage): GossipMessage | null {
    if (msg.type === 'ping') {
      if (msg.body.Node !== '' && msg.body.Node !== this.name) return null;
      return { type: 'ackResp', body: { SeqNo: msg.body.SeqNo, Payload: new Uint8Array(0) } };
    }
    if (msg.type !== 'pushPull') return null;
    const reply = localState(this.ctx, msg.body.header.Join);
    this.merge(msg.body.nodes);
    return { type: 'pushPull', body: reply };
  }

  /** The answer (or failure) of stream `streamId` that drain() asked the shell to open. */
  streamResult(streamId: number, reply: GossipMessage | Error): void {
    const purpose = this.streams.take(streamId, this.ctx.nowMs);
    if (purpose === undefined || reply instanceof Error) return;
    if (purpose.kind === 'ping') {
      const ok = reply.type === 'ackResp' && reply.body.SeqNo === purpose.seq;
      this.prober.tcpResult(purpose.seq, ok);
    } else if (reply.type === 'pushPull') {
      this.merge(reply.body.nodes);
    }
  }

  /** Push/pulls our state (Join set) with each address; their state merges on answer. */
  join(addrs: readonly GossipAddress[]): void {
    for (const to of addrs) this.openPushPull(to, true);
  }

  /** Gossips our own death-by-leaving; leaveComplete() tells when it has been sent out. */
  leave(): void {
    const m = this.membership;
    if (m.left) return;
    m.left = true;
    const t = this.ctx.table;
    const me = t.slotOf(this.name);
    if (me === noSlot) return;
    m.deadNode({ Incarnation: t.incarnation(me), Node: this.name, From: this.name });
    let anyAlive = false;
    for (let i = 0; i < t.size && !anyAlive; i++) {
      const n = t.slotAt(i);
      anyAlive = t.name(n) !== this.name && !t.deadOrLeft(n);
    }
    if (!anyAlive) m.leaveDone = true;
  }

  /** Re-announces ourselves with new meta and a higher incarnation. */
  setMeta(meta: Uint8Array): void {
    checkMeta(meta);
    this.announce(meta);
  }

  /** Every member this node knows of (itself included), dead and left ones until reaped. */
  members(): readonly Member[] {
    const t = this.ctx.table;
    const out: Member[] = [];
    for (let i = 0; i < t.size; i++) out.push(t.toMember(t.slotAt(i)));
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  drain(): Drained {
    return this.ctx.out.drain();
  }

  // ---- Beyond the agreed API: cheap read-outs for the shell and the simulator. ----

  /** What this node believes about `name`, without building a snapshot. */
  stateOf(name: string): MemberState | undefined {
    const t = this.ctx.table;
    const n = t.slotOf(name);
    return n === noSlot ? undefined : stateName(t.state(n));
  }

  /** Members known (any state), the "N" of every log N scaling. */
  numMembers(): number {
    return this.ctx.table.size;
  }

  /** Lifeguard health score: 0 is healthy; probe intervals stretch by (score + 1). */
  healthScore(): number {
    return this.ctx.awareness.healthScore();
  }

  /** True after leave() once the leave broadcast went out fully (or nobody was left to tell). */
  leaveComplete(): boolean {
    return this.membership.leaveDone;
  }

  /** Sizes of the bounded internal queues, and outputs dropped for want of drain(). */
  queueSizes(): QueueSizes {
    return {
      broadcasts: this.ctx.broadcasts.length,
      suspicions: this.membership.suspicionCount(),
      relays: this.prober.relayCount(),
      streams: this.streams.size,
      droppedOutputs: this.ctx.out.dropped,
    };
  }

  private announce(meta: Uint8Array): void {
    const body = {
      Incarnation: this.membership.nextIncarnation(),
      Node: this.name,
      Addr: this.addrBytes,
      Port: this.port,
      Meta: meta,
      Vsn: buildVsn(this.ctx.config),
    };
    this.membership.aliveNode(body, true);
  }

  private receive(from: GossipAddress, m: GossipMessage): void {
    switch (m.type) {
      case 'ping':
        return this.prober.handlePing(from, m.body);
      case 'indirectPing':
        return this.prober.handleIndirectPing(from, m.body);
      case 'ackResp':
        return this.prober.handleAck(m.body);
      case 'nackResp':
        return this.prober.handleNack(m.body);
      case 'suspect':
        return this.membership.suspectNode(m.body);
      case 'dead':
        return this.membership.deadNode(m.body);
      case 'alive': {
        // Protocol 1 omitted the port; memberlist assumes its own.
        const body = m.body.Port === 0 ? { ...m.body, Port: this.port } : m.body;
        return this.membership.aliveNode(body, false);
      }
      default:
        return; // user messages, errors and push/pull have no meaning in a UDP packet here
    }
  }

  private merge(remote: Parameters<Membership['mergeState']>[0]): void {
    if (verifyProtocol(this.ctx, remote) === null) this.membership.mergeState(remote);
  }

  private gossip(): void {
    const { ctx } = this;
    if (ctx.broadcasts.length === 0) return;
    const { config, nowMs } = ctx;
    const t = ctx.table;
    const targets = t.kRandom(config.gossipNodes, (n) => {
      const state = t.state(n);
      if (t.name(n) === ctx.self || state === NodeState.left) return true;
      return state === NodeState.dead && nowMs - t.stateChangeMs(n) > config.gossipToTheDeadTimeMs;
    });
    const bytes = config.udpBufferSize - compoundHeaderOverhead;
    for (const target of targets) {
      const msgs = takeBroadcasts(ctx, bytes, maxCompoundParts);
      if (msgs.length === 0) return;
      ctx.out.packet({ to: t.addressOf(target), msgs });
    }
  }

  private pushPull(): void {
    const { ctx } = this;
    const t = ctx.table;
    const peer = t.kRandom(1, (n) => t.name(n) === ctx.self || t.state(n) !== NodeState.alive);
    if (peer[0] !== undefined) this.openPushPull(t.addressOf(peer[0]), false);
  }

  private openPushPull(to: GossipAddress, join: boolean): void {
    const msg: GossipMessage = { type: 'pushPull', body: localState(this.ctx, join) };
    const expiresAt = this.ctx.nowMs + this.ctx.config.tcpTimeoutMs;
    this.streams.open(to, msg, { kind: 'pushPull', join }, expiresAt);
  }
}
