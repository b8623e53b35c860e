// The key-value table with Consul's semantics: every entry remembers the Raft index that created
// and last modified it; check-and-set compares against ModifyIndex. Prefix queries (recurse,
// keys) need key order: the sorted key list is rebuilt lazily on the first query after a
// change, so writes stay O(1) (inserting into a sorted array was O(n) per new key).
export interface KvEntry {
  readonly key: string;
  readonly value: Uint8Array;
  readonly flags: number;
  readonly createIndex: number;
  readonly modifyIndex: number;
  readonly lockIndex: number;
}

export class KvTable {
  private readonly entries = new Map<string, KvEntry>();
  private sortedCache: string[] | null = [];
  /** Highest Raft index that changed this table (including deletes). */
  index = 0;

  get(key: string): KvEntry | undefined {
    return this.entries.get(key);
  }

  size(): number {
    return this.entries.size;
  }

  /** Entries whose key starts with `prefix`, in key order. */
  list(prefix: string): KvEntry[] {
    const out: KvEntry[] = [];
    const keys = this.sortedKeys();
    for (let i = lowerBound(keys, prefix); i < keys.length; i++) {
      const k = keys[i];
      if (k === undefined || !k.startsWith(prefix)) break;
      const e = this.entries.get(k);
      if (e !== undefined) out.push(e);
    }
    return out;
  }

  /** Returns false when the check-and-set condition does not hold (nothing changes). */
  set(key: string, value: Uint8Array, flags: number, cas: number | null, index: number): boolean {
    const prev = this.entries.get(key);
    if (cas !== null && (prev?.modifyIndex ?? 0) !== cas) return false;
    if (prev === undefined) this.sortedCache = null;
    this.entries.set(key, {
      key,
      value,
      flags,
      createIndex: prev?.createIndex ?? index,
      modifyIndex: index,
      lockIndex: prev?.lockIndex ?? 0,
    });
    this.index = index;
    return true;
  }

  /** As Consul: deleting an absent key succeeds and changes nothing, even with cas. */
  delete(key: string, cas: number | null, index: number): boolean {
    const prev = this.entries.get(key);
    if (prev === undefined) return true;
    if (cas !== null && prev.modifyIndex !== cas) return false;
    this.entries.delete(key);
    this.sortedCache = null;
    this.index = index;
    return true;
  }

  deletePrefix(prefix: string, index: number): boolean {
    const doomed = this.list(prefix);
    if (doomed.length === 0) return true;
    for (const e of doomed) this.entries.delete(e.key);
    this.sortedCache = null;
    this.index = index;
    return true;
  }

  /**
   * Puts back a key's earlier entry (undefined: the key was absent) exactly as it was: how a
   * failed transaction undoes its writes. The caller restores `index` too.
   */
  restoreEntry(key: string, entry: KvEntry | undefined): void {
    const had = this.entries.has(key);
    if (entry === undefined) this.entries.delete(key);
    else this.entries.set(key, entry);
    if (had !== (entry !== undefined)) this.sortedCache = null;
  }

  private sortedKeys(): string[] {
    this.sortedCache ??= [...this.entries.keys()].sort(compare);
    return this.sortedCache;
  }

  all(): KvEntry[] {
    return this.list('');
  }

  /**
   * Every entry, in no particular order: an O(n) copy of references, no sorting. Entries are
   * immutable (a write replaces the whole entry), so the array is a frozen view of the table as
   * it is now, which a snapshot can encode while later writes go on.
   */
  rows(): KvEntry[] {
    return Array.from(this.entries.values());
  }

  load(entries: readonly KvEntry[], index: number): void {
    this.entries.clear();
    for (const e of entries) this.entries.set(e.key, e);
    this.sortedCache = null;
    this.index = index;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** First position whose key is >= `key`. */
function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] ?? '') < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
