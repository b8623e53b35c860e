// The hash-chained event log: every committed Raft entry that changes the management database
// appends one event, and each event's hash covers the one before it, so changing, dropping or
// reordering any retained event breaks every hash after it.
//
// Event: { index, term, time, type, subject, data, prev, hash }
//   index, term  the Raft entry that made the change (at most one event per entry)
//   time         ms since the epoch: the command's `at`, stamped by the proposing node; entries
//                without one (conf changes, old logs) take the previous event's time (0 before
//                the first event), so every replica derives the same value
//   type         the command type ('kv.set', 'kv.delete', 'kv.txn', 'member.upsert',
//                'member.remove', 'cluster.init') or 'raft.conf' for a membership change
//   subject      the key / key prefix, member id, cluster id, or the node a conf change names
//   data         a small deterministic object; apply-command.ts documents it per type
//   prev         the previous event's hash; 64 zeros ("genesis") for the first event
//   hash         lowercase hex of SHA-256( the 32 bytes that `prev` spells in hex
//                || canonical encoding (canonical.ts: RFC 8785 JSON, UTF-8) of the object
//                {data, index, prev, subject, term, time, type} )
//                event-encoding.ts writes that encoding directly for the event's fixed shape;
//                a property test holds it byte for byte to the generic encoder
//
// Memory is bounded: only the newest `retainedMax` events are kept. Older ones are dropped, but
// the chain's base (hash, index, time and count of everything dropped) is kept and goes into
// snapshots with the retained events, so verification continues from the base across
// compaction, snapshots and restores.
import type { CanonicalValue } from './canonical.ts';
import type { CommandType } from './commands.ts';
import { eventCanonicalJson } from './event-encoding.ts';
import { sha256HexAfter } from './sha256.ts';

export type EventType = CommandType | 'raft.conf';
export type EventData = { readonly [key: string]: CanonicalValue };

export interface ChainEvent {
  readonly index: number;
  readonly term: number;
  readonly time: number;
  readonly type: EventType;
  readonly subject: string;
  readonly data: EventData;
  readonly prev: string;
  readonly hash: string;
}

/** The chain just before the oldest retained event. */
export interface ChainBase {
  readonly hash: string;
  readonly index: number;
  readonly time: number;
  /** Events dropped so far. */
  readonly length: number;
}

export type VerifyResult =
  | { readonly ok: true; readonly length: number; readonly head: string }
  | {
      readonly ok: false;
      readonly brokenAt: number;
      readonly reason: 'hash' | 'prev' | 'index';
      readonly expected: string;
      readonly found: string;
      readonly length: number;
    };

export const GENESIS_HASH = '0'.repeat(64);
export const GENESIS: ChainBase = { hash: GENESIS_HASH, index: 0, time: 0, length: 0 };
/**
 * Two snapshot intervals (the agent snapshots every 8,192 applied entries, and an entry records
 * at most one event): a snapshot always carries every event since the snapshot before the
 * previous one, so a node restored from it still serves the events of the last two intervals,
 * and a reader of GET /v1/sappers/events that falls further behind sees the oldest retained
 * index in its reply. About 4 MiB in memory (kv.set events take ~250 bytes each), and what
 * snapshots pack beyond the tables themselves; older events leave the chain base.
 */
export const DEFAULT_EVENTS_RETAINED_MAX = 16_384;
/** Events checked between yields of verifyAsync, so a long chain never stalls the node. */
const VERIFY_CHUNK = 5000;

export type NewEvent = Omit<ChainEvent, 'prev' | 'hash'>;

/** Hex SHA-256(bytes of `e.prev` || canonical encoding). */
export function hashEvent(e: Omit<ChainEvent, 'hash'>): string {
  return sha256HexAfter(e.prev, eventCanonicalJson(e));
}

export class EventLog {
  readonly retainedMax: number;
  private base: ChainBase = GENESIS;
  private events: ChainEvent[] = [];
  /** Position of the oldest retained event in `events` (dropped ones are sliced off lazily). */
  private start = 0;

  constructor(retainedMax = DEFAULT_EVENTS_RETAINED_MAX) {
    if (!Number.isSafeInteger(retainedMax) || retainedMax < 1) {
      throw new RangeError(`retainedMax must be a positive integer, got ${retainedMax}`);
    }
    this.retainedMax = retainedMax;
  }

  /** Events ever appended, dropped ones included. */
  get length(): number {
    return this.base.length + this.retainedCount();
  }

  get head(): string {
    return this.last()?.hash ?? this.base.hash;
  }

  /** Raft index of the newest event (0 when there is none): what blocking queries wait on. */
  get lastIndex(): number {
    return this.last()?.index ?? this.base.index;
  }

  /** Time of the newest event: the time of an entry that carries none. */
  get headTime(): number {
    return this.last()?.time ?? this.base.time;
  }

  /** Index of the oldest retained event, null when none is retained. */
  oldestIndex(): number | null {
    return this.events[this.start]?.index ?? null;
  }

  retainedCount(): number {
    return this.events.length - this.start;
  }

  append(e: NewEvent): ChainEvent {
    if (!Number.isSafeInteger(e.index) || e.index <= this.lastIndex) {
      throw new Error(`event index ${e.index} does not follow ${this.lastIndex}`);
    }
    const prev = this.head;
    // Built once; the digest reads only the hashed fields, then the hash is filled in.
    const event: { -readonly [K in keyof ChainEvent]: ChainEvent[K] } = {
      index: e.index,
      term: e.term,
      time: e.time,
      type: e.type,
      subject: e.subject,
      data: e.data,
      prev,
      hash: '',
    };
    event.hash = hashEvent(event);
    this.events.push(event);
    this.trim();
    return event;
  }

  /** Up to `limit` retained events with index >= `from`, oldest first. */
  from(from: number, limit: number): ChainEvent[] {
    let lo = this.start;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.events[mid]?.index ?? Infinity) < from) lo = mid + 1;
      else hi = mid;
    }
    return this.events.slice(lo, lo + Math.max(0, limit));
  }

  /** The retained events and the base they chain from: what a snapshot stores. */
  export(): { readonly base: ChainBase; readonly events: readonly ChainEvent[] } {
    return { base: this.base, events: this.events.slice(this.start) };
  }

  /** Replaces the whole log. Hashes are kept as stored: verify() is what judges them. */
  load(base: ChainBase, events: readonly ChainEvent[]): void {
    this.base = base;
    this.events = [...events];
    this.start = 0;
    this.trim();
  }

  verify(): VerifyResult {
    const { base, events } = this.export();
    const r = checkRange(events, 0, events.length, base.hash, base.index);
    return 'brokenAt' in r ? { ...r, length: this.length } : this.ok();
  }

  /** verify() over the log as it is now, yielding to the event loop between chunks. */
  async verifyAsync(chunk = VERIFY_CHUNK): Promise<VerifyResult> {
    const { base, events } = this.export();
    const length = base.length + events.length;
    let at: { prev: string; index: number } = { prev: base.hash, index: base.index };
    for (let lo = 0; lo < events.length; lo += chunk) {
      if (lo > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const r = checkRange(events, lo, Math.min(events.length, lo + chunk), at.prev, at.index);
      if ('brokenAt' in r) return { ...r, length };
      at = r;
    }
    return { ok: true, length, head: at.prev };
  }

  private ok(): VerifyResult {
    return { ok: true, length: this.length, head: this.head };
  }

  private last(): ChainEvent | undefined {
    return this.events.length > this.start ? this.events[this.events.length - 1] : undefined;
  }

  private trim(): void {
    while (this.retainedCount() > this.retainedMax) {
      const dropped = this.events[this.start];
      if (dropped === undefined) break;
      this.base = {
        hash: dropped.hash,
        index: dropped.index,
        time: dropped.time,
        length: this.base.length + 1,
      };
      this.start++;
    }
    // Slice the dropped prefix off once it is as large as what is kept: amortized O(1).
    if (this.start > 0 && this.start >= this.retainedCount()) {
      this.events = this.events.slice(this.start);
      this.start = 0;
    }
  }
}

type RangeResult =
  | { readonly prev: string; readonly index: number }
  | Omit<Extract<VerifyResult, { ok: false }>, 'length'>;

/** Checks events[lo, hi) against the hash and index of the event before them. */
function checkRange(
  events: readonly ChainEvent[],
  lo: number,
  hi: number,
  prevHash: string,
  prevIndex: number,
): RangeResult {
  let prev = prevHash;
  let index = prevIndex;
  for (let i = lo; i < hi; i++) {
    const e = events[i];
    if (e === undefined) break;
    const broken = (reason: 'hash' | 'prev' | 'index', expected: string, found: string) =>
      ({ ok: false, brokenAt: e.index, reason, expected, found }) as const;
    if (!(e.index > index)) return broken('index', `> ${index}`, String(e.index));
    if (e.prev !== prev) return broken('prev', prev, e.prev);
    let recomputed: string;
    try {
      recomputed = hashEvent(e);
    } catch (err) {
      // A tampered field that is no longer encodable (a fraction, a cycle) is a broken hash too.
      return broken('hash', `(not encodable: ${String(err)})`, e.hash);
    }
    if (recomputed !== e.hash) return broken('hash', recomputed, e.hash);
    prev = e.hash;
    index = e.index;
  }
  return { prev, index };
}
