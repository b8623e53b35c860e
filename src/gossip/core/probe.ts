// SWIM failure detection, memberlist style. Each probe round pings the next member in the
// randomized round-robin order. No ack within probeTimeout: ask indirectChecks random peers to
// ping it for us (they nack if they hear nothing either) and try a TCP ping. No ack by the end
// of the (health-scaled) probe interval: suspect it, and let the nacks we did or did not get
// tell whether we, rather than the target, are the sick one (Lifeguard). This class also
// answers pings and relays indirect probes for others.
import type { AckResp, GossipAddress, IndirectPing, NackResp, Ping } from '../messages.ts';
import { NodeState } from '../messages.ts';
import { bytesToHost } from './addr.ts';
import { sendMsg, type CoreContext } from './context.ts';
import type { Membership } from './membership.ts';
import { noSlot } from './node-table.ts';
import type { StreamTable } from './streams.ts';

interface Probe {
  readonly seq: number;
  /** The target's slot in the node table (not reaped while a probe runs). */
  readonly target: number;
  /** The target's incarnation when the probe began (a failed probe suspects that one). */
  readonly incarnation: number;
  readonly ping: Ping;
  readonly startMs: number;
  readonly ackTimeoutAt: number;
  readonly deadlineAt: number;
  indirect: boolean;
  expectedNacks: number;
  nacks: number;
  tcpOk: boolean;
}

/** An indirect probe we run for `replyTo`: their seq, and whether they want a nack. */
interface Relay {
  readonly seq: number;
  readonly replyTo: GossipAddress;
  readonly nack: boolean;
  readonly expiresAt: number;
}

interface Sourced {
  readonly SourceAddr?: Uint8Array;
  readonly SourcePort?: number;
}

/** Where to answer: the advertised source if the sender gave one, else the packet's sender. */
function replyAddress(m: Sourced, from: GossipAddress): GossipAddress {
  const host = m.SourceAddr !== undefined ? bytesToHost(m.SourceAddr) : null;
  if (host === null || m.SourcePort === undefined || m.SourcePort <= 0) return from;
  return { host, port: m.SourcePort };
}

const noPayload = new Uint8Array(0);

export interface PingSource {
  readonly SourceAddr: Uint8Array;
  readonly SourcePort: number;
  readonly SourceNode: string;
}

export interface ProberDeps {
  readonly ctx: CoreContext;
  readonly membership: Membership;
  readonly streams: StreamTable;
  readonly source: PingSource;
}

export class Prober {
  private current: Probe | null = null;
  private nextProbeAt: number;
  private seq = 0;
  /** Indirect probes in flight by our ping's seq; insertion order is expiry order. */
  private readonly relays = new Map<number, Relay>();

  private readonly ctx: CoreContext;
  private readonly membership: Membership;
  private readonly streams: StreamTable;
  /** Our advertised address, put in every ping and indirect ping we send. */
  private readonly source: PingSource;

  constructor(deps: ProberDeps, firstProbeAt: number) {
    this.ctx = deps.ctx;
    this.membership = deps.membership;
    this.streams = deps.streams;
    this.source = deps.source;
    this.nextProbeAt = firstProbeAt;
  }

  /** Runs whatever is due at ctx.nowMs: indirect step, probe end, next probe, relay expiry. */
  tick(): void {
    const now = this.ctx.nowMs;
    const p = this.current;
    if (p !== null && !p.indirect && now >= p.ackTimeoutAt) this.goIndirect(p);
    if (p !== null && now >= p.deadlineAt) this.finish(p, p.tcpOk);
    if (this.current === null && now >= this.nextProbeAt) this.start();
    for (const [seq, r] of this.relays) {
      if (r.expiresAt > now) break;
      this.relays.delete(seq);
      if (r.nack) sendMsg(this.ctx, r.replyTo, { type: 'nackResp', body: { SeqNo: r.seq } });
    }
  }

  nextDeadline(): number {
    const p = this.current;
    let next = p === null ? this.nextProbeAt : p.indirect ? p.deadlineAt : p.ackTimeoutAt;
    const firstRelay = this.relays.values().next();
    if (firstRelay.done !== true) next = Math.min(next, firstRelay.value.expiresAt);
    return next;
  }

  relayCount(): number {
    return this.relays.size;
  }

  handlePing(from: GossipAddress, ping: Ping): void {
    if (ping.Node !== '' && ping.Node !== this.ctx.self) return; // meant for a previous owner
    const ack: AckResp = { SeqNo: ping.SeqNo, Payload: noPayload };
    sendMsg(this.ctx, replyAddress(ping, from), { type: 'ackResp', body: ack });
  }

  handleIndirectPing(from: GossipAddress, ind: IndirectPing): void {
    const host = bytesToHost(ind.Target);
    if (host === null || this.relays.size >= this.ctx.config.maxPendingRelays) return;
    const port = ind.Port === 0 ? this.source.SourcePort : ind.Port;
    const seq = this.nextSeq();
    const expiresAt = this.ctx.nowMs + this.ctx.config.probeTimeoutMs;
    const replyTo = replyAddress(ind, from);
    this.relays.set(seq, { seq: ind.SeqNo, replyTo, nack: ind.Nack, expiresAt });
    const ping: Ping = { SeqNo: seq, Node: ind.Node, ...this.source };
    sendMsg(this.ctx, { host, port }, { type: 'ping', body: ping });
  }

  handleAck(ack: AckResp): void {
    const p = this.current;
    if (p !== null && ack.SeqNo === p.seq) this.finish(p, true);
    const r = this.relays.get(ack.SeqNo);
    if (r === undefined) return;
    this.relays.delete(ack.SeqNo);
    const fwd: AckResp = { SeqNo: r.seq, Payload: noPayload };
    sendMsg(this.ctx, r.replyTo, { type: 'ackResp', body: fwd });
  }

  handleNack(nack: NackResp): void {
    const p = this.current;
    if (p !== null && nack.SeqNo === p.seq) p.nacks++;
  }

  /** Outcome of the TCP fallback ping for probe `seq`; counts only before the probe ends. */
  tcpResult(seq: number, ok: boolean): void {
    const p = this.current;
    if (p !== null && p.seq === seq && ok) p.tcpOk = true;
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0;
    return this.seq;
  }

  private start(): void {
    const { ctx } = this;
    const { config, nowMs } = ctx;
    const t = ctx.table;
    const target = t.nextProbeTarget(ctx.self, nowMs, config.gossipToTheDeadTimeMs);
    if (target === noSlot) {
      this.nextProbeAt = nowMs + config.probeIntervalMs;
      return;
    }
    const seq = this.nextSeq();
    const name = t.name(target);
    const ping: Ping = { SeqNo: seq, Node: name, ...this.source };
    const to = t.addressOf(target);
    if (t.state(target) === NodeState.alive) {
      sendMsg(ctx, to, { type: 'ping', body: ping });
    } else {
      // A suspect hears the accusation along with the ping, so it can refute at once.
      const suspect = { Incarnation: t.incarnation(target), Node: name, From: ctx.self };
      ctx.out.packet({
        to,
        msgs: [
          { type: 'ping', body: ping },
          { type: 'suspect', body: suspect },
        ],
      });
    }
    this.current = {
      seq,
      target,
      incarnation: t.incarnation(target),
      ping,
      startMs: nowMs,
      ackTimeoutAt: nowMs + config.probeTimeoutMs,
      deadlineAt: nowMs + ctx.awareness.scaleMs(config.probeIntervalMs),
      indirect: false,
      expectedNacks: 0,
      nacks: 0,
      tcpOk: false,
    };
  }

  private goIndirect(p: Probe): void {
    const { ctx } = this;
    p.indirect = true;
    const table = ctx.table;
    const t = table.info(p.target);
    const peers = table.kRandom(ctx.config.indirectChecks, (n) => {
      const name = table.name(n);
      return name === ctx.self || name === t.Node || table.state(n) !== NodeState.alive;
    });
    for (const peer of peers) {
      const nack = (table.info(peer).Vsn[1] ?? 0) >= 4; // nacks exist from protocol 4 on
      if (nack) p.expectedNacks++;
      const body: IndirectPing = {
        SeqNo: p.seq,
        Target: t.Addr,
        Port: t.Port,
        Node: t.Node,
        Nack: nack,
        ...this.source,
      };
      sendMsg(ctx, table.addressOf(peer), { type: 'indirectPing', body });
    }
    // A node cut off from UDP may still answer over TCP (protocol 3 and later).
    if (!ctx.config.disableTcpPings && (t.Vsn[1] ?? 0) >= 3) {
      const purpose = { kind: 'ping', seq: p.seq } as const;
      const to = table.addressOf(p.target);
      this.streams.open(to, { type: 'ping', body: p.ping }, purpose, p.deadlineAt);
    }
  }

  private finish(p: Probe, ok: boolean): void {
    const { ctx } = this;
    this.current = null;
    this.nextProbeAt = Math.max(p.startMs + ctx.config.probeIntervalMs, ctx.nowMs);
    if (ok) {
      ctx.awareness.applyDelta(-1);
      return;
    }
    // Peers that should have nacked but did not suggest our own network is the problem.
    const missed = p.expectedNacks > 0 ? Math.max(0, p.expectedNacks - p.nacks) : 1;
    ctx.awareness.applyDelta(missed);
    const s = { Incarnation: p.incarnation, Node: p.ping.Node, From: ctx.self };
    this.membership.suspectNode(s);
  }
}
