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
import { NameIds } from './name-ids.ts';

/** One queued message; a class, so that its few fields share one compact shape. */
class Queued {
  /** The id of the node this message is about (name-ids.ts). */
  readonly nameId: number;
  readonly msg: GossipMessage;
  readonly size: number;
  readonly id: number;
  /** Times sent so far; -1 once replaced or pruned (it may still sit in a heap). */
  transmits = 0;

  constructor(nameId: number, msg: GossipMessage, size: number, id: number) {
    this.nameId = nameId;
    this.msg = msg;
    this.size = size;
    this.id = id;
  }

  get live(): boolean {
    return this.transmits >= 0;
  }
}

/** One transmit count's messages: a heap per distinct size, sizes kept sorted. */
class Tier {
  /** Distinct sizes, ascending; heaps[i] holds the messages of sizes[i]. */
  private readonly sizes: number[] = [];
  private readonly heaps: IdHeap<Queued>[] = [];

  add(q: Queued): void {
    const { sizes } = this;
    let lo = 0;
    let hi = sizes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((sizes[mid] ?? 0) < q.size) lo = mid + 1;
      else hi = mid;
    }
    let heap = sizes[lo] === q.size ? this.heaps[lo] : undefined;
    if (heap === undefined) {
      heap = new IdHeap<Queued>();
      sizes.splice(lo, 0, q.size);
      this.heaps.splice(lo, 0, heap);
    }
    heap.push(q);
  }

  /** Removes and returns the newest live message of the largest size <= free. */
  takeBest(free: number, discard: (q: Queued) => void): Queued | undefined {
    for (let i = this.sizes.length - 1; i >= 0; i--) {
      if ((this.sizes[i] ?? 0) > free) continue;
      const heap = this.heaps[i];
      for (let q = heap?.pop(); q !== undefined; q = heap?.pop()) {
        if (q.live) return q;
        discard(q);
      }
      this.sizes.splice(i, 1);
      this.heaps.splice(i, 1);
    }
    return undefined;
  }

  /** The live message to drop first: smallest, then oldest. */
  worst(): Queued | undefined {
    for (const heap of this.heaps) {
      let worst: Queued | undefined;
      for (const q of heap.values()) {
        if (q.live && (worst === undefined || q.id < worst.id)) worst = q;
      }
      if (worst !== undefined) return worst;
    }
    return undefined;
  }
}

export class BroadcastQueue {
  private tiers: Tier[] = [];
  /** The live message about each node, by name id. */
  private readonly byId: (Queued | undefined)[] = [];
  private count = 0;
  /** What to run when a message is fully sent or replaced (rare: kept apart from the rest). */
  private readonly onFinished = new Map<Queued, () => void>();
  private nextId = 1;
  /** Dead entries still sitting in heaps. */
  private dead = 0;
  private readonly maxQueued: number;
  private readonly names: NameIds;

  /** `names` may be shared with other cores; by default the queue has its own. */
  constructor(maxQueued: number, names: NameIds = new NameIds()) {
    this.maxQueued = maxQueued;
    this.names = names;
  }

  get length(): number {
    return this.count;
  }

  has(name: string): boolean {
    const id = this.names.find(name);
    return id !== undefined && this.byId[id] !== undefined;
  }

  /** Queues `msg` about node `name`; `onFinished` runs once it is fully sent or replaced. */
  queue(name: string, msg: GossipMessage, size: number, onFinished?: () => void): void {
    const nameId = this.names.retain(name);
    const old = this.byId[nameId];
    if (old !== undefined) this.kill(old);
    const q = new Queued(nameId, msg, size, this.nextId++);
    while (this.byId.length <= nameId) this.byId.push(undefined);
    this.byId[nameId] = q;
    this.count++;
    if (onFinished !== undefined) this.onFinished.set(q, onFinished);
    this.tier(0).add(q);
    while (this.count > this.maxQueued) this.pruneOne();
    if (this.dead > this.count + 1024) this.rebuild();
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
    q.transmits = -1;
    this.dead++;
    this.finish(q);
  }

  private finish(q: Queued): void {
    if (this.byId[q.nameId] === q) {
      this.byId[q.nameId] = undefined;
      this.count--;
      this.names.release(q.nameId);
    }
    const done = this.onFinished.get(q);
    if (done === undefined) return;
    this.onFinished.delete(q);
    done();
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
    for (const q of this.byId) if (q !== undefined) this.tier(q.transmits).add(q);
  }
}
