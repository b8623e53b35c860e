// Broadcasts waiting to be piggybacked, each sent a limited number of times. Messages sit in
// tiers by how often they have been sent; fewer sends go first, then larger messages (they pack
// packets well), then newer ones, so fresh news spreads before old news. A message about a node
// replaces any queued message about the same node. The queue holds a bounded number of
// messages: past the bound the most-sent (then smallest, then oldest) are dropped first.
//
// Inside a tier, messages are grouped by size, each group a max-heap by id, so taking the best
// fitting message and putting one back both cost O(log n). Replaced messages are only marked
// dead and skipped when they surface; the heaps are rebuilt when too many dead ones pile up.
import type { GossipMessage } from '../messages.ts';
import { IdHeap } from './id-heap.ts';

interface Queued {
  readonly name: string;
  readonly msg: GossipMessage;
  readonly size: number;
  readonly id: number;
  transmits: number;
  live: boolean;
  readonly onFinished: (() => void) | undefined;
}

/** One transmit count's messages: a heap per distinct size, sizes kept sorted. */
class Tier {
  private readonly bySize = new Map<number, IdHeap<Queued>>();
  private readonly sizes: number[] = [];

  add(q: Queued): void {
    let heap = this.bySize.get(q.size);
    if (heap === undefined) {
      heap = new IdHeap<Queued>();
      this.bySize.set(q.size, heap);
      let at = this.sizes.length;
      while (at > 0 && (this.sizes[at - 1] ?? 0) > q.size) at--;
      this.sizes.splice(at, 0, q.size);
    }
    heap.push(q);
  }

  /** Removes and returns the newest live message of the largest size <= free. */
  takeBest(free: number, discard: (q: Queued) => void): Queued | undefined {
    for (let i = this.sizes.length - 1; i >= 0; i--) {
      const size = this.sizes[i] ?? 0;
      if (size > free) continue;
      const heap = this.bySize.get(size);
      for (let q = heap?.pop(); q !== undefined; q = heap?.pop()) {
        if (q.live) return q;
        discard(q);
      }
      this.bySize.delete(size);
      this.sizes.splice(i, 1);
    }
    return undefined;
  }

  /** The live message to drop first: smallest, then oldest. */
  worst(): Queued | undefined {
    for (const size of this.sizes) {
      let worst: Queued | undefined;
      for (const q of this.bySize.get(size)?.values() ?? []) {
        if (q.live && (worst === undefined || q.id < worst.id)) worst = q;
      }
      if (worst !== undefined) return worst;
    }
    return undefined;
  }
}

export class BroadcastQueue {
  private tiers: Tier[] = [];
  private readonly byName = new Map<string, Queued>();
  private nextId = 1;
  /** Dead entries still sitting in heaps. */
  private dead = 0;
  private readonly maxQueued: number;

  constructor(maxQueued: number) {
    this.maxQueued = maxQueued;
  }

  get length(): number {
    return this.byName.size;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Queues `msg` about node `name`; `onFinished` runs once it is fully sent or replaced. */
  queue(name: string, msg: GossipMessage, size: number, onFinished?: () => void): void {
    const old = this.byName.get(name);
    if (old !== undefined) this.kill(old);
    const q: Queued = { name, msg, size, id: this.nextId++, transmits: 0, live: true, onFinished };
    this.byName.set(name, q);
    this.tier(0).add(q);
    while (this.byName.size > this.maxQueued) this.pruneOne();
    if (this.dead > this.byName.size + 1024) this.rebuild();
  }

  /**
   * Takes broadcasts for one packet: each costs `overhead` plus its size, within `limit` bytes
   * and `maxParts` messages. Each taken message counts one transmission; it leaves the queue
   * on reaching `transmitLimit`.
   */
  take(overhead: number, limit: number, transmitLimit: number, maxParts: number): GossipMessage[] {
    const out: GossipMessage[] = [];
    const again: Queued[] = [];
    let used = 0;
    for (let t = 0; t < this.tiers.length && out.length < maxParts;) {
      const free = limit - used - overhead;
      if (free <= 0) break;
      const q = this.tiers[t]?.takeBest(free, this.discard);
      if (q === undefined) {
        t++;
        continue;
      }
      used += overhead + q.size;
      out.push(q.msg);
      q.transmits++;
      if (q.transmits >= transmitLimit) this.finish(q);
      else again.push(q);
    }
    for (const q of again) this.tier(q.transmits).add(q);
    return out;
  }

  /** A dead entry surfaced in a heap and was dropped. */
  private readonly discard = (): void => {
    this.dead--;
  };

  private tier(t: number): Tier {
    while (this.tiers.length <= t) this.tiers.push(new Tier());
    return this.tiers[t] ?? new Tier();
  }

  /** Marks a queued message dead (it stays in its heap until it surfaces) and finishes it. */
  private kill(q: Queued): void {
    q.live = false;
    this.dead++;
    this.finish(q);
  }

  private finish(q: Queued): void {
    if (this.byName.get(q.name) === q) this.byName.delete(q.name);
    q.onFinished?.();
  }

  private pruneOne(): void {
    for (let t = this.tiers.length - 1; t >= 0; t--) {
      const worst = this.tiers[t]?.worst();
      if (worst !== undefined) return this.kill(worst);
    }
  }

  private rebuild(): void {
    this.tiers = [];
    this.dead = 0;
    for (const q of this.byName.values()) this.tier(q.transmits).add(q);
  }
}
