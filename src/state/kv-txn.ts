// Consul-style key-value transactions: a list of operations applied all together or not at
// all. Operations run in order against the table, each seeing the ones before it (as Consul's
// do); every failed check is collected, and if there is any, every write is undone and the
// table, its index included, is exactly as before. Results and error texts are derived from
// the table alone, so every replica answers the same.
//
// Results, per verb (as Consul): set, cas and check-index answer the entry without its value;
// get answers the entry with its value; get-tree one entry (with value) per key under the
// prefix; delete, delete-cas, delete-tree and check-not-exists answer nothing.
import { createHash } from 'node:crypto';
import type { CanonicalValue } from './canonical.ts';
import { TXN_READ_VERBS, type TxnOp } from './commands.ts';
import type { KvEntry, KvTable } from './kv-table.ts';

/**
 * Bound on the value bytes one transaction's results carry. A forwarded write's results travel
 * back in one transport frame (4 MiB), so reads inside a transaction are bounded below that;
 * going over fails the transaction at the read that crossed it.
 */
export const TXN_RESULT_VALUE_BYTES_MAX = 2 * 1024 * 1024;

export interface TxnKv {
  readonly key: string;
  /** null when the verb does not return values. */
  readonly value: Uint8Array | null;
  readonly flags: number;
  readonly createIndex: number;
  readonly modifyIndex: number;
  readonly lockIndex: number;
}

export interface TxnError {
  /** Position of the failed operation in the transaction. */
  readonly opIndex: number;
  readonly what: string;
}

export type TxnOutcome =
  | { readonly ok: true; readonly results: readonly TxnKv[] }
  | { readonly ok: false; readonly errors: readonly TxnError[] };

/** What a committed transaction changed, for its event (no values: sizes and digests). */
export type TxnChange = { readonly [key: string]: CanonicalValue };

export interface TxnApplied {
  readonly outcome: TxnOutcome;
  /** Empty when the transaction failed or changed nothing. */
  readonly changes: readonly TxnChange[];
}

export function isReadOnly(ops: readonly TxnOp[]): boolean {
  return ops.every((op) => TXN_READ_VERBS.includes(op.verb));
}

/** Applies `ops` at Raft index `index`: all of them, or (any check failing) none. */
export function applyTxn(kv: KvTable, ops: readonly TxnOp[], index: number): TxnApplied {
  const run = new TxnRun(kv, index);
  ops.forEach((op, i) => {
    const what = run.op(op);
    if (what !== null) run.errors.push({ opIndex: i, what });
  });
  if (run.errors.length > 0) {
    run.undo();
    return { outcome: { ok: false, errors: run.errors }, changes: [] };
  }
  return { outcome: { ok: true, results: run.results }, changes: run.changes };
}

/** A transaction of reads only, against the table as it is; it never changes anything. */
export function readTxn(kv: KvTable, ops: readonly TxnOp[]): TxnOutcome {
  if (!isReadOnly(ops)) throw new Error('readTxn given a transaction that writes');
  return applyTxn(kv, ops, kv.index).outcome;
}

class TxnRun {
  readonly results: TxnKv[] = [];
  readonly errors: TxnError[] = [];
  readonly changes: TxnChange[] = [];
  private readonly kv: KvTable;
  private readonly index: number;
  private readonly indexBefore: number;
  /** Each touched key's entry before the transaction: what undo() puts back. */
  private readonly before = new Map<string, KvEntry | undefined>();
  private valueBytes = 0;

  constructor(kv: KvTable, index: number) {
    this.kv = kv;
    this.index = index;
    this.indexBefore = kv.index;
  }

  /** Runs one operation; returns why it failed, or null. */
  op(op: TxnOp): string | null {
    const current = this.kv.get(op.key);
    switch (op.verb) {
      case 'cas':
        if ((current?.modifyIndex ?? 0) !== op.index) {
          return `failed to set key ${JSON.stringify(op.key)}, index is stale`;
        }
        return this.set(op.key, op.value, op.flags);
      case 'set':
        return this.set(op.key, op.value, op.flags);
      case 'delete':
      case 'delete-cas': {
        const cas = op.verb === 'delete-cas' ? op.index : null;
        this.remember(op.key);
        if (!this.kv.delete(op.key, cas, this.index)) {
          return `failed to delete key ${JSON.stringify(op.key)}, index is stale`;
        }
        if (current !== undefined) this.changes.push({ verb: op.verb, key: op.key });
        return null;
      }
      case 'delete-tree':
        return this.deleteTree(op.key);
      case 'get':
        if (current === undefined) return `key ${JSON.stringify(op.key)} doesn't exist`;
        return this.read([current]);
      case 'get-tree':
        return this.read(this.kv.list(op.key));
      case 'check-index':
        if (current === undefined) return `key ${JSON.stringify(op.key)} doesn't exist`;
        if (current.modifyIndex !== op.index) {
          return `current modify index ${current.modifyIndex} != ${op.index}`;
        }
        this.results.push(withoutValue(current));
        return null;
      case 'check-not-exists':
        return current === undefined ? null : `key ${JSON.stringify(op.key)} exists`;
    }
  }

  undo(): void {
    for (const [key, entry] of this.before) this.kv.restoreEntry(key, entry);
    this.kv.index = this.indexBefore;
  }

  private set(key: string, value: Uint8Array, flags: number): null {
    this.remember(key);
    this.kv.set(key, value, flags, null, this.index);
    const entry = this.kv.get(key);
    if (entry === undefined) throw new Error(`key ${key} missing right after set`);
    this.results.push(withoutValue(entry));
    const sha256 = createHash('sha256').update(value).digest('hex');
    this.changes.push({ verb: 'set', key, flags, size: value.byteLength, sha256 });
    return null;
  }

  private deleteTree(prefix: string): null {
    const doomed = this.kv.list(prefix);
    for (const e of doomed) this.remember(e.key);
    this.kv.deletePrefix(prefix, this.index);
    if (doomed.length > 0) {
      this.changes.push({ verb: 'delete-tree', key: prefix, deleted: doomed.length });
    }
    return null;
  }

  private read(entries: readonly KvEntry[]): string | null {
    for (const e of entries) this.valueBytes += e.value.byteLength;
    if (this.valueBytes > TXN_RESULT_VALUE_BYTES_MAX) {
      return `results would carry more than ${TXN_RESULT_VALUE_BYTES_MAX} bytes of values; read fewer keys per transaction`;
    }
    for (const e of entries) this.results.push({ ...withoutValue(e), value: e.value });
    return null;
  }

  private remember(key: string): void {
    if (!this.before.has(key)) this.before.set(key, this.kv.get(key));
  }
}

function withoutValue(e: KvEntry): TxnKv {
  return {
    key: e.key,
    value: null,
    flags: e.flags,
    createIndex: e.createIndex,
    modifyIndex: e.modifyIndex,
    lockIndex: e.lockIndex,
  };
}
