// Broadcasts waiting to be piggybacked, each sent a limited number of times. Messages sit in
// tiers by how often they have been sent; fewer sends go first, then larger messages (they pack
// packets well), then newer ones, so fresh news spreads before old news. A message about a node
// replaces any queued message about the same node. The queue holds a bounded number of
// messages: past the bound the most-sent (then smallest, then oldest) are dropped first.
//
// Inside a tier, messages are grouped by size, each group a max-heap (key-heap.ts), so taking
// the best fitting message and putting one back both cost O(log n). There is at most one
// message per node, so a message lives in the slot of its node's name id (name-ids.ts), in flat
// arrays: a simulator holds N queues of up to N messages, and an object per message would cost
// several times as much. A heap key packs the message's id (newer is larger) with its slot.
// A replaced message's key stays in its heap, is recognised as dead by an id that no longer
// matches the slot's, and is skipped when it surfaces; the heaps are rebuilt when too many
// dead keys pile up.
import type { GossipMessage } from '../messages.ts';
import { heapPop, heapPush, newKeyHeap } from './key-heap.ts';
import { NameIds } from './name-ids.ts';

/** Keys are id * span + slot, exact in a double while below 2^53; ids are kept as Uint32. */
const maxKey = 2 ** 53;
const maxId = 2 ** 32 - 1;
/** Name ids (slots) are below 2^31; span grows (a power of two) to exceed every slot in use. */
const maxSpan = 2 ** 31;

/** One transmit count's messages: a heap of keys per distinct size, sizes kept sorted. */
interface Tier {
  /** Distinct sizes, ascending; heaps[i] holds the keys of messages of sizes[i]. */
  readonly sizes: number[];
  readonly heaps: number[][];
}

function tierAdd(tier: Tier, size: number, key: number): void {
  const { sizes } = tier;
  let lo = 0;
  let hi = sizes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sizes[mid] ?? 0) < size) lo = mid + 1;
    else hi = mid;
  }
  let heap = sizes[lo] === size ? tier.heaps[lo] : undefined;
  if (heap === undefined) {
    heap = newKeyHeap();
    sizes.splice(lo, 0, size);
    tier.heaps.splice(lo, 0, heap);
  }
  heapPush(heap, key);
}

/** Fields of a slot's record in `rec`, side by side. */
const stride = 3;
/** The message's id; 0 when the slot holds no message. */
const fId = 0;
const fSize = 1;
/** Times sent so far. */
const fSent = 2;

const grown = (n: number, need: number): number => Math.max(need, 16, n + (n >> 1));

export class BroadcastQueue {
  private tiers: Tier[] = [];
  /** Messages by slot. */
  private readonly msgs: (GossipMessage | undefined)[] = [];
  private rec = new Uint32Array(0);
  private count = 0;
  /** What to run when a message is fully sent or replaced, by slot (rare: kept apart). */
  private readonly onFinished = new Map<number, () => void>();
  private nextId = 1;
  /** Dead keys still sitting in heaps. */
  private dead = 0;
  private span = 1024;
  private inverseSpan = 1 / 1024;
  private readonly maxQueued: number;
  private readonly names: NameIds;
  /** Ids are renumbered before they reach this. */
  private readonly idLimit: number;
  /** Scratch for take(): slots to put back a tier higher. */
  private readonly again: number[] = [];

  /**
   * `names` may be shared with other cores; by default the queue has its own. `idLimit` (tests
   * lower it) is where message ids are renumbered, 1.. in their order, to stay in range.
   */
  constructor(maxQueued: number, names: NameIds = new NameIds(), idLimit = maxId) {
    if (!Number.isInteger(maxQueued) || maxQueued < 1) {
      throw new RangeError(
        `broadcast queue: maxQueued must be a positive integer, got ${maxQueued}`,
      );
    }
    this.maxQueued = maxQueued;
    this.names = names;
    this.idLimit = Math.min(idLimit, maxId);
  }

  get length(): number {
    return this.count;
  }

  has(name: string): boolean {
    const id = this.names.find(name);
    return id !== undefined && (this.rec[id * stride + fId] ?? 0) !== 0;
  }

  /** Queues `msg` about node `name`; `onFinished` runs once it is fully sent or replaced. */
  queue(name: string, msg: GossipMessage, size: number, onFinished?: () => void): void {
    if (size >>> 0 !== size) {
      throw new RangeError(`broadcast queue: size must be a 32-bit unsigned integer, got ${size}`);
    }
    const s = this.names.retain(name);
    if (s >= maxSpan) {
      this.names.release(s);
      throw new RangeError(`broadcast queue: name id ${s} out of range`);
    }
    this.reserve(s);
    if ((this.rec[s * stride + fId] ?? 0) !== 0) this.kill(s);
    if (s >= this.span) {
      this.span = 2 ** Math.ceil(Math.log2(s + 1));
      this.inverseSpan = 1 / this.span;
      this.rebuild(false);
    }
    if (this.nextId >= this.idLimit || (this.nextId + 1) * this.span >= maxKey) {
      this.rebuild(true);
    }
    this.msgs[s] = msg;
    const r = s * stride;
    this.rec[r + fId] = this.nextId++;
    this.rec[r + fSize] = size;
    this.rec[r + fSent] = 0;
    this.count++;
    if (onFinished !== undefined) this.onFinished.set(s, onFinished);
    this.file(s);
    while (this.count > this.maxQueued) this.pruneOne();
    if (this.dead > this.count + 1024) this.rebuild(false);
  }

  /**
   * Takes broadcasts for one packet: each costs `overhead` plus its size, within `limit` bytes
   * and `maxParts` messages. Each taken message counts one transmission; it leaves the queue
   * on reaching `transmitLimit`.
   */
  take(overhead: number, limit: number, transmitLimit: number, maxParts: number): GossipMessage[] {
    const out: GossipMessage[] = [];
    const { again } = this;
    again.length = 0;
    let used = 0;
    for (let t = 0; t < this.tiers.length && out.length < maxParts;) {
      const free = limit - used - overhead;
      if (free <= 0) break;
      const tier = this.tiers[t];
      const s = tier === undefined ? -1 : this.takeBest(tier, free);
      if (s < 0) {
        t++;
        continue;
      }
      const r = s * stride;
      used += overhead + (this.rec[r + fSize] ?? 0);
      const msg = this.msgs[s];
      if (msg !== undefined) out.push(msg);
      const sent = (this.rec[r + fSent] ?? 0) + 1;
      this.rec[r + fSent] = sent;
      if (sent >= transmitLimit) this.finish(s);
      else again.push(s);
    }
    for (const s of again) this.file(s);
    again.length = 0;
    return out;
  }

  /** Files slot `s` under its transmit count's tier. */
  private file(s: number): void {
    const r = s * stride;
    const t = this.rec[r + fSent] ?? 0;
    while (this.tiers.length <= t) this.tiers.push({ sizes: [], heaps: [] });
    const tier = this.tiers[t];
    const key = (this.rec[r + fId] ?? 0) * this.span + s;
    if (tier !== undefined) tierAdd(tier, this.rec[r + fSize] ?? 0, key);
  }

  /** The slot of a key whose message is still queued, or -1 for a dead key. */
  private liveSlot(key: number): number {
    // span is a power of two: multiplying by its inverse is exact (and cheaper than %).
    const id = Math.floor(key * this.inverseSpan);
    const s = key - id * this.span;
    return this.rec[s * stride + fId] === id ? s : -1;
  }

  /** Removes and returns (the slot of) the newest live message of the largest size <= free. */
  private takeBest(tier: Tier, free: number): number {
    const { sizes, heaps } = tier;
    for (let i = sizes.length - 1; i >= 0; i--) {
      if ((sizes[i] ?? 0) > free) continue;
      const heap = heaps[i] ?? [];
      while (heap.length > 0) {
        const s = this.liveSlot(heapPop(heap));
        if (s >= 0) return s;
        this.dead--;
      }
      sizes.splice(i, 1);
      heaps.splice(i, 1);
    }
    return -1;
  }

  /** The live message to drop first in `tier`: smallest, then oldest; -1 if none. */
  private worst(tier: Tier): number {
    for (const heap of tier.heaps) {
      let worst = -1;
      let worstId = Infinity;
      for (const key of heap) {
        const s = this.liveSlot(key);
        const id = s < 0 ? Infinity : (this.rec[s * stride + fId] ?? Infinity);
        if (id < worstId) {
          worst = s;
          worstId = id;
        }
      }
      if (worst >= 0) return worst;
    }
    return -1;
  }

  /** Makes room for slot `s`. */
  private reserve(s: number): void {
    // Grown one slot at a time: a sparse write would turn the array into a slow dictionary.
    while (this.msgs.length <= s) this.msgs.push(undefined);
    if ((s + 1) * stride <= this.rec.length) return;
    const rec = new Uint32Array(grown(this.rec.length / stride, s + 1) * stride);
    rec.set(this.rec);
    this.rec = rec;
  }

  /** Drops a queued message whose key still sits in a heap (skipped when it surfaces). */
  private kill(s: number): void {
    this.dead++;
    this.finish(s);
  }

  /** Removes the message in slot `s` and runs its onFinished. */
  private finish(s: number): void {
    const r = s * stride;
    if ((this.rec[r + fId] ?? 0) === 0) return;
    this.rec[r + fId] = 0;
    this.msgs[s] = undefined;
    this.count--;
    this.names.release(s);
    const done = this.onFinished.get(s);
    if (done === undefined) return;
    this.onFinished.delete(s);
    done();
  }

  private pruneOne(): void {
    for (let t = this.tiers.length - 1; t >= 0; t--) {
      const tier = this.tiers[t];
      const worst = tier === undefined ? -1 : this.worst(tier);
      if (worst >= 0) return this.kill(worst);
    }
  }

  /** Drops the dead keys; `renumber` also gives the live messages ids 1.. in their order. */
  private rebuild(renumber: boolean): void {
    this.tiers = [];
    this.dead = 0;
    const live: number[] = [];
    const { rec } = this;
    for (let s = 0; s < this.msgs.length; s++) if ((rec[s * stride + fId] ?? 0) !== 0) live.push(s);
    if (renumber) {
      live.sort((a, b) => (rec[a * stride + fId] ?? 0) - (rec[b * stride + fId] ?? 0));
      live.forEach((s, i) => (rec[s * stride + fId] = i + 1));
      this.nextId = live.length + 1;
    }
    for (const s of live) this.file(s);
  }
}
