// The simulated network. Every message gets a random delivery delay (which also reorders
// messages), may be lost or duplicated, and is dropped when its link is cut — both at send time
// and at delivery time, so a partition also eats what is already in flight. Links are
// directional: cutting a->b alone models an asymmetric partition. The in-flight queue is
// bounded; sends over the cap are dropped like a full socket buffer.
import { TimedHeap } from './heap.ts';
import type { Prng } from './prng.ts';

export interface Addressed {
  readonly from: string;
  readonly to: string;
}

export interface NetworkOptions {
  /** Delivery delay bounds in virtual milliseconds (inclusive). */
  readonly minDelay: number;
  readonly maxDelay: number;
  /** Probability a message is lost. */
  readonly lossRate: number;
  /** Probability a message is delivered twice (with independent delays). */
  readonly dupRate: number;
  /** Probability a message takes the slow path: an extra delay up to `slowDelay`. */
  readonly slowRate: number;
  readonly slowDelay: number;
  /** Messages in flight at most; further sends are dropped. */
  readonly maxInFlight: number;
}

export const defaultNetworkOptions: NetworkOptions = {
  minDelay: 1,
  maxDelay: 6,
  lossRate: 0,
  dupRate: 0,
  slowRate: 0,
  slowDelay: 0,
  maxInFlight: 10_000,
};

export interface NetworkStats {
  sent: number;
  delivered: number;
  duplicated: number;
  lost: number;
  cut: number;
  overflow: number;
}

export interface Delivery<M> {
  readonly time: number;
  readonly message: M;
}

function linkKey(from: string, to: string): string {
  return `${from}>${to}`;
}

export class Network<M extends Addressed> {
  private readonly queue = new TimedHeap<M>();
  private readonly cutLinks = new Set<string>();
  private readonly rng: Prng;
  private opts: NetworkOptions;
  readonly stats: NetworkStats = {
    sent: 0,
    delivered: 0,
    duplicated: 0,
    lost: 0,
    cut: 0,
    overflow: 0,
  };

  constructor(rng: Prng, options: Partial<NetworkOptions> = {}) {
    this.rng = rng;
    this.opts = { ...defaultNetworkOptions, ...options };
    validate(this.opts);
  }

  get options(): NetworkOptions {
    return this.opts;
  }

  /** Changes delay/loss/duplication parameters from now on (messages in flight keep theirs). */
  configure(options: Partial<NetworkOptions>): void {
    const next = { ...this.opts, ...options };
    validate(next);
    this.opts = next;
  }

  get inFlight(): number {
    return this.queue.size;
  }

  send(message: M, now: number): void {
    this.stats.sent++;
    if (this.isCut(message.from, message.to)) {
      this.stats.cut++;
      return;
    }
    if (this.rng.chance(this.opts.lossRate)) {
      this.stats.lost++;
      return;
    }
    this.enqueue(message, now);
    if (this.rng.chance(this.opts.dupRate)) {
      this.stats.duplicated++;
      this.enqueue(message, now);
    }
  }

  /** Time of the next delivery, or Infinity when nothing is in flight. */
  nextTime(): number {
    return this.queue.peek()?.time ?? Infinity;
  }

  /**
   * Removes and returns the next message due at or before `now`, skipping (and counting) those
   * whose link was cut while they were in flight.
   */
  deliverNext(now: number): Delivery<M> | undefined {
    for (;;) {
      const top = this.queue.peek();
      if (top === undefined || top.time > now) return undefined;
      this.queue.pop();
      if (this.isCut(top.item.from, top.item.to)) {
        this.stats.cut++;
        continue;
      }
      this.stats.delivered++;
      return { time: top.time, message: top.item };
    }
  }

  /** Drops every in-flight message matching `drop` (e.g. those to a node that crashed). */
  discard(drop: (message: M) => boolean): number {
    return this.queue.removeWhere(drop);
  }

  isCut(from: string, to: string): boolean {
    return this.cutLinks.size > 0 && this.cutLinks.has(linkKey(from, to));
  }

  /** Cuts the directional link from -> to. */
  cut(from: string, to: string): void {
    if (from !== to) this.cutLinks.add(linkKey(from, to));
  }

  /** Cuts both directions between a and b. */
  cutBoth(a: string, b: string): void {
    this.cut(a, b);
    this.cut(b, a);
  }

  /** Splits `nodes` into groups that cannot talk to each other (symmetric partition). */
  partition(groups: readonly (readonly string[])[]): void {
    for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        for (const a of groups[i] ?? []) for (const b of groups[j] ?? []) this.cutBoth(a, b);
      }
    }
  }

  /** Cuts `node` off from every node in `others`, both directions. */
  isolate(node: string, others: readonly string[]): void {
    for (const o of others) this.cutBoth(node, o);
  }

  heal(from: string, to: string): void {
    this.cutLinks.delete(linkKey(from, to));
  }

  healAll(): void {
    this.cutLinks.clear();
  }

  /** The cut links as "from>to" strings, sorted (for traces). */
  cutList(): string[] {
    return [...this.cutLinks].sort();
  }

  private enqueue(message: M, now: number): void {
    if (this.queue.size >= this.opts.maxInFlight) {
      this.stats.overflow++;
      return;
    }
    let delay = this.rng.range(this.opts.minDelay, this.opts.maxDelay);
    if (this.opts.slowRate > 0 && this.rng.chance(this.opts.slowRate)) {
      delay += this.rng.range(0, this.opts.slowDelay);
    }
    this.queue.push(now + delay, message);
  }
}

function validate(o: NetworkOptions): void {
  const ints: (keyof NetworkOptions)[] = ['minDelay', 'maxDelay', 'slowDelay', 'maxInFlight'];
  for (const k of ints) {
    if (!Number.isInteger(o[k]) || o[k] < 0)
      throw new RangeError(`network ${k}: bad value ${o[k]}`);
  }
  if (o.maxDelay < o.minDelay) throw new RangeError('network maxDelay: below minDelay');
  const probs: (keyof NetworkOptions)[] = ['lossRate', 'dupRate', 'slowRate'];
  for (const k of probs) {
    if (!(o[k] >= 0 && o[k] <= 1)) throw new RangeError(`network ${k}: not a probability`);
  }
}
