// The core's view of the log: entries after a compaction point. Entries at or after
// `unstableFrom` are not known to be on disk; those at or after `handedFrom` have not yet been
// handed to the driver for persistence. Several writes may be under way at once (a leader
// pipelines them); they complete in the order they were handed out.
// With a LogReader, only entries after `memStart` are kept in memory: older ones, applied and
// on disk, are forgotten (forget()) and read back from the disk when a lagging follower or a
// snapshot needs them, so the heap holds a short window instead of everything since the last
// snapshot.
import { invariant, RaftError } from './errors.ts';
import type { LogReader } from './storage.ts';
import type { Entry } from './types.ts';

export function entryBytes(e: Entry): number {
  return e.type === 'normal' ? e.data.byteLength + 16 : 64;
}

export class RaftLog {
  /** Index of the last entry compacted away (its term is `startTerm`). */
  private startIndex: number;
  private startTerm: number;
  /** Entries after the last one only on disk (>= startIndex): entries[0] is memStart + 1. */
  private memStart: number;
  private entries: Entry[];
  private reader: LogReader | null = null;
  /** First index not known to be on disk. */
  private unstableFrom: number;
  /** First index not yet handed out for persistence (>= unstableFrom). */
  private handedFrom: number;

  constructor(startIndex: number, startTerm: number, entries: readonly Entry[]) {
    this.startIndex = startIndex;
    this.startTerm = startTerm;
    this.memStart = startIndex;
    this.entries = [...entries];
    entries.forEach((e, i) => {
      invariant(e.index === startIndex + 1 + i, `log entry ${e.index} out of place`);
    });
    this.unstableFrom = this.lastIndex() + 1;
    this.handedFrom = this.unstableFrom;
  }

  /** Lets forget() drop entries from memory; they are read back from `reader` when needed. */
  setReader(reader: LogReader): void {
    this.reader = reader;
  }

  firstIndex(): number {
    return this.startIndex + 1;
  }

  lastIndex(): number {
    return this.memStart + this.entries.length;
  }

  /** First index held in memory (entries before it, down to firstIndex(), are on disk only). */
  inMemoryFrom(): number {
    return this.memStart + 1;
  }

  lastTerm(): number {
    return this.termAt(this.lastIndex()) ?? 0;
  }

  /** Term of the entry at `index`, or undefined when compacted away or beyond the end. */
  termAt(index: number): number | undefined {
    if (index === this.startIndex) return this.startTerm;
    if (index < this.startIndex || index > this.lastIndex()) return undefined;
    return this.at(index).term;
  }

  at(index: number): Entry {
    if (index <= this.memStart && index > this.startIndex) return this.read(index);
    const e = this.entries[index - this.memStart - 1];
    if (e === undefined) {
      throw new RaftError('COMPACTED', `log entry ${index} is not in memory`);
    }
    return e;
  }

  /** An entry forgotten from memory: it was on disk when forgotten, and must still be. */
  private read(index: number): Entry {
    const e = this.reader?.entry(index);
    invariant(e?.index === index, `log entry ${index} missing from the disk`);
    return e;
  }

  matchTerm(index: number, term: number): boolean {
    return this.termAt(index) === term;
  }

  /** Is a log ending at (index, term) at least as up to date as this one (§5.4.1)? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /** Entries in [lo, hi], at most `maxCount` and about `maxBytes` (always at least one). */
  slice(lo: number, hi: number, maxCount: number, maxBytes: number): Entry[] {
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i <= hi && out.length < maxCount; i++) {
      const e = this.at(i);
      bytes += entryBytes(e);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  /** Last index known to be on disk (handed out for persistence and then reported written). */
  stableIndex(): number {
    return Math.min(this.unstableFrom - 1, this.lastIndex());
  }

  /** Are there entries not yet handed out for persistence? */
  hasUnhanded(): boolean {
    return this.handedFrom <= this.lastIndex();
  }

  append(entry: Entry): void {
    invariant(
      entry.index === this.lastIndex() + 1,
      `append ${entry.index} after ${this.lastIndex()}`,
    );
    this.entries.push(entry);
  }

  /** Drop entries from `index` on (a conflicting suffix). */
  truncateFrom(index: number, committed: number): void {
    invariant(index > committed, `truncating committed entry ${index} (commit ${committed})`);
    invariant(index > this.startIndex, `truncating below the compaction point ${index}`);
    invariant(index > this.memStart, `truncating forgotten entry ${index}`);
    this.entries.length = Math.max(0, index - this.memStart - 1);
    if (this.unstableFrom > index) this.unstableFrom = index;
    if (this.handedFrom > index) this.handedFrom = index;
  }

  /**
   * A write handed out earlier, ending with the entry (`index`, `term`), is on disk. Writes
   * reach the disk in the order they were handed out, so everything up to `index` is there too,
   * and by Log Matching it is exactly this log's prefix when the entry at `index` still has
   * `term`. If the log was rewritten from a lower index meanwhile (a truncation or a snapshot
   * while the write ran), the report says nothing about the entries now in memory and is
   * ignored: a later write that carries them reports them.
   */
  markStable(index: number, term: number): void {
    if (index < this.unstableFrom) return;
    if (this.termAt(index) !== term) return;
    this.unstableFrom = index + 1;
  }

  /** Forget entries up to and including `index` (they are covered by a snapshot). */
  compact(index: number): void {
    if (index <= this.startIndex) return;
    invariant(index <= this.lastIndex(), `compact ${index} beyond last ${this.lastIndex()}`);
    const term = this.at(index).term;
    if (index > this.memStart) {
      this.entries = this.entries.slice(index - this.memStart);
      this.memStart = index;
    }
    this.startIndex = index;
    this.startTerm = term;
  }

  /**
   * Drops entries up to `index` from memory (they stay readable through the reader). Only
   * entries on disk may go: `index` must not pass the stable index. Without a reader, a no-op.
   */
  forget(index: number): void {
    if (this.reader === null || index <= this.memStart) return;
    invariant(index <= this.stableIndex(), `forget ${index} beyond stable ${this.stableIndex()}`);
    this.entries = this.entries.slice(index - this.memStart);
    this.memStart = index;
  }

  /** Replace everything with an empty log starting after a snapshot. */
  reset(index: number, term: number): void {
    this.startIndex = index;
    this.startTerm = term;
    this.memStart = index;
    this.entries = [];
    this.unstableFrom = index + 1;
    this.handedFrom = index + 1;
  }

  /** Hands out the entries not yet handed out, for persistence after every earlier write. */
  handOut(): Entry[] {
    if (this.handedFrom > this.lastIndex()) return [];
    invariant(this.handedFrom > this.memStart, `handing out forgotten entry ${this.handedFrom}`);
    const out = this.entries.slice(this.handedFrom - this.memStart - 1);
    this.handedFrom = this.lastIndex() + 1;
    return out;
  }

  /** Largest index <= `index` whose term is <= `term` (for fast backtracking). */
  findConflictByTerm(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex());
    while (i > this.startIndex) {
      const t = this.termAt(i);
      if (t === undefined || t <= term) return i;
      i--;
    }
    return this.startIndex;
  }
}
