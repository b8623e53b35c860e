// State shared by the parts of one core (membership rules, prober, gossip), and the two ways
// anything leaves it: queued broadcasts and the bounded outbox that drain() empties.
import type { GossipAddress, GossipMessage } from '../messages.ts';
import type { Awareness } from './awareness.ts';
import type { BroadcastQueue } from './broadcast-queue.ts';
import type { GossipConfig } from './config.ts';
import type { NodeTable } from './node-table.ts';
import { compoundHeaderOverhead, compoundOverhead, maxCompoundParts, type SizeOf } from './size.ts';
import { retransmitLimit } from './timing.ts';
import type { Drained, MemberEvent, OutPacket, OutStream, Random } from './types.ts';

/** Outputs held until the next drain(); each kind is capped, the excess dropped and counted. */
export class Outbox {
  private packets: OutPacket[] = [];
  private streams: OutStream[] = [];
  private events: MemberEvent[] = [];
  dropped = 0;
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  packet(p: OutPacket): void {
    if (this.packets.length < this.max) this.packets.push(p);
    else this.dropped++;
  }

  stream(s: OutStream): void {
    if (this.streams.length < this.max) this.streams.push(s);
    else this.dropped++;
  }

  event(e: MemberEvent): void {
    if (this.events.length < this.max) this.events.push(e);
    else this.dropped++;
  }

  drain(): Drained {
    const out = { packets: this.packets, streams: this.streams, events: this.events };
    this.packets = [];
    this.streams = [];
    this.events = [];
    return out;
  }
}

export interface CoreContext {
  readonly self: string;
  readonly config: GossipConfig;
  readonly random: Random;
  readonly table: NodeTable;
  readonly awareness: Awareness;
  readonly broadcasts: BroadcastQueue;
  readonly out: Outbox;
  readonly sizeOf: SizeOf;
  /** The clock as of the last tick(). */
  nowMs: number;
}

/** Queues `msg` (about node `name`) for gossip, replacing older news about that node. */
export function broadcast(
  ctx: CoreContext,
  name: string,
  msg: GossipMessage,
  onFinished?: () => void,
): void {
  ctx.broadcasts.queue(name, msg, ctx.sizeOf(msg), onFinished);
}

/** Broadcasts that fit in `bytes`, each counting one transmission. */
export function takeBroadcasts(ctx: CoreContext, bytes: number, maxParts: number): GossipMessage[] {
  if (ctx.broadcasts.length === 0 || bytes <= compoundOverhead) return [];
  const limit = retransmitLimit(ctx.config.retransmitMult, ctx.table.size);
  return ctx.broadcasts.take(compoundOverhead, bytes, limit, maxParts);
}

/** Sends one message over UDP with as many queued broadcasts piggybacked as the packet fits. */
export function sendMsg(ctx: CoreContext, to: GossipAddress, msg: GossipMessage): void {
  const room =
    ctx.config.udpBufferSize - ctx.sizeOf(msg) - compoundHeaderOverhead - compoundOverhead;
  const msgs = takeBroadcasts(ctx, room, maxCompoundParts - 1);
  msgs.unshift(msg);
  ctx.out.packet({ to, msgs });
}
