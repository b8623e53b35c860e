// The rows that make up nearly all of a snapshot, the key-value entries and the retained chain
// events, written by hand instead of through msgpackr's generic object walk (several times
// cheaper). The bytes are exactly msgpackr's for the same row (Packr with useRecords: false):
// a map16 header, the fields in the object's own order, the shortest str, bin and integer
// forms. A row of any other shape (a field missing, added or reordered, a value of another type,
// a number that is not a safe non-negative integer, an event whose data holds more than
// strings, such integers, booleans, null and arrays of them) is not sized here; the caller packs it with
// msgpackr, so the output never depends on which path a row took.
import {
  arrayHeaderBytes,
  binHeaderBytes,
  constant,
  type Const,
  FALSE,
  fixstr,
  isUint,
  map16,
  MAP16_HEADER_BYTES,
  type MsgpackOut,
  NIL,
  strBytes,
  TRUE,
  uintBytes,
  writeArrayHeader,
  writeBin,
  writeConst,
  writeMap16Header,
  writeStr,
  writeUint,
} from '../codec/index.ts';
import type { ChainEvent } from './event-log.ts';
import type { KvEntry } from './kv-table.ts';

/** Sizes and writes one kind of row. */
export interface RowCodec<T> {
  /** Exact bytes of `row`, or -1 when it has another shape (msgpackr must pack it). */
  size(row: unknown): number;
  /** Writes a row that size() accepted into `out` at `at`; returns the position after it. */
  write(out: MsgpackOut, at: number, row: T): number;
}

/** The map16 header and each field's key, concatenated: a row's bytes minus its values. */
function layout(fields: readonly string[]): { head: Const; keys: Const[]; bytes: number } {
  const keys = fields.map(fixstr);
  const head = constant(map16(fields.length), keys[0] ?? new Uint8Array(0));
  let bytes = head.length;
  for (const k of keys.slice(1)) bytes += k.length;
  return { head, keys: keys.slice(1).map((k) => constant(k)), bytes };
}

/**
 * Whether `row` is a plain object whose enumerable keys are exactly `fields`, in that order, all
 * its own. for-in lists own keys before inherited ones, so the last field being own makes every
 * earlier one own too; msgpackr walks the same for-in order.
 */
function hasFields(row: unknown, fields: readonly string[]): row is Record<string, unknown> {
  if (typeof row !== 'object' || row === null || Object.getPrototypeOf(row) !== Object.prototype) {
    return false;
  }
  let i = 0;
  for (const k in row) {
    if (k !== fields[i]) return false;
    i++;
  }
  return i === fields.length && Object.hasOwn(row, fields[i - 1] ?? '');
}

const KV_FIELDS = ['key', 'value', 'flags', 'createIndex', 'modifyIndex', 'lockIndex'] as const;
const KV = layout(KV_FIELDS);
const [VALUE, FLAGS, CREATE_INDEX, MODIFY_INDEX, LOCK_INDEX] = KV.keys as [
  Const,
  Const,
  Const,
  Const,
  Const,
];

export const kvRowCodec: RowCodec<KvEntry> = {
  size(row) {
    if (!hasFields(row, KV_FIELDS)) return -1;
    const { key, value, flags, createIndex, modifyIndex, lockIndex } = row;
    if (typeof key !== 'string' || !(value instanceof Uint8Array)) return -1;
    if (!isUint(flags) || !isUint(createIndex) || !isUint(modifyIndex) || !isUint(lockIndex)) {
      return -1;
    }
    return (
      KV.bytes +
      strBytes(key) +
      binHeaderBytes(value.byteLength) +
      value.byteLength +
      uintBytes(flags) +
      uintBytes(createIndex) +
      uintBytes(modifyIndex) +
      uintBytes(lockIndex)
    );
  },

  write(out, at, row) {
    at = writeConst(out, at, KV.head);
    at = writeStr(out, at, row.key);
    at = writeConst(out, at, VALUE);
    at = writeBin(out, at, row.value);
    at = writeConst(out, at, FLAGS);
    at = writeUint(out, at, row.flags);
    at = writeConst(out, at, CREATE_INDEX);
    at = writeUint(out, at, row.createIndex);
    at = writeConst(out, at, MODIFY_INDEX);
    at = writeUint(out, at, row.modifyIndex);
    at = writeConst(out, at, LOCK_INDEX);
    return writeUint(out, at, row.lockIndex);
  },
};

const EVENT_FIELDS = ['index', 'term', 'time', 'type', 'subject', 'data', 'prev', 'hash'] as const;
const EVENT = layout(EVENT_FIELDS);
const [TERM, TIME, TYPE, SUBJECT, DATA, PREV, HASH] = EVENT.keys as [
  Const,
  Const,
  Const,
  Const,
  Const,
  Const,
  Const,
];
/** msgpackr refuses a plain object with more entries than map16 holds. */
const MAP16_ENTRIES_MAX = 0xffff;

/**
 * Bytes of an event's data map, or -1 when it holds anything but scalars and arrays of them
 * (which is all the data of kv.set, kv.delete, member.upsert, member.remove, cluster.init and
 * raft.conf events; kv.txn's list of operations is left to msgpackr).
 */
function dataBytes(data: unknown): number {
  if (
    typeof data !== 'object' ||
    data === null ||
    Object.getPrototypeOf(data) !== Object.prototype
  ) {
    return -1;
  }
  let bytes = MAP16_HEADER_BYTES;
  let entries = 0;
  let last = '';
  for (const k in data) {
    // An own hasOwnProperty changes which keys msgpackr walks.
    if (k === 'hasOwnProperty') return -1;
    const v = (data as Record<string, unknown>)[k];
    const n = isScalarArray(v) ? scalarArrayBytes(v) : scalarBytes(v);
    if (n < 0) return -1;
    bytes += strBytes(k) + n;
    entries++;
    last = k;
  }
  if (entries > MAP16_ENTRIES_MAX || (entries > 0 && !Object.hasOwn(data, last))) return -1;
  return bytes;
}

/** An array msgpackr writes as one (its test is the constructor); the elements are checked next. */
function isScalarArray(v: unknown): v is readonly unknown[] {
  return Array.isArray(v) && (v as { constructor?: unknown }).constructor === Array;
}

function scalarArrayBytes(v: readonly unknown[]): number {
  let bytes = arrayHeaderBytes(v.length);
  for (let i = 0; i < v.length; i++) {
    const n = scalarBytes(v[i]);
    if (n < 0) return -1;
    bytes += n;
  }
  return bytes;
}

function scalarBytes(v: unknown): number {
  if (typeof v === 'string') return strBytes(v);
  if (isUint(v)) return uintBytes(v);
  return v === null || typeof v === 'boolean' ? 1 : -1;
}

function writeScalar(out: MsgpackOut, at: number, v: unknown): number {
  if (typeof v === 'string') return writeStr(out, at, v);
  if (typeof v === 'number') return writeUint(out, at, v);
  out.bytes[at] = v === null ? NIL : v === true ? TRUE : FALSE;
  return at + 1;
}

function writeData(out: MsgpackOut, at: number, data: Readonly<Record<string, unknown>>): number {
  const head = at;
  at += MAP16_HEADER_BYTES;
  let entries = 0;
  for (const k in data) {
    at = writeStr(out, at, k);
    const v = data[k];
    if (Array.isArray(v)) {
      at = writeArrayHeader(out, at, v.length);
      for (let i = 0; i < v.length; i++) at = writeScalar(out, at, v[i]);
    } else {
      at = writeScalar(out, at, v);
    }
    entries++;
  }
  writeMap16Header(out, head, entries);
  return at;
}

export const eventRowCodec: RowCodec<ChainEvent> = {
  size(row) {
    if (!hasFields(row, EVENT_FIELDS)) return -1;
    const { index, term, time, type, subject, data, prev, hash } = row;
    if (!isUint(index) || !isUint(term) || !isUint(time)) return -1;
    if (typeof type !== 'string' || typeof subject !== 'string') return -1;
    if (typeof prev !== 'string' || typeof hash !== 'string') return -1;
    const d = dataBytes(data);
    if (d < 0) return -1;
    return (
      EVENT.bytes +
      uintBytes(index) +
      uintBytes(term) +
      uintBytes(time) +
      strBytes(type) +
      strBytes(subject) +
      d +
      strBytes(prev) +
      strBytes(hash)
    );
  },

  write(out, at, row) {
    at = writeConst(out, at, EVENT.head);
    at = writeUint(out, at, row.index);
    at = writeConst(out, at, TERM);
    at = writeUint(out, at, row.term);
    at = writeConst(out, at, TIME);
    at = writeUint(out, at, row.time);
    at = writeConst(out, at, TYPE);
    at = writeStr(out, at, row.type);
    at = writeConst(out, at, SUBJECT);
    at = writeStr(out, at, row.subject);
    at = writeConst(out, at, DATA);
    at = writeData(out, at, row.data);
    at = writeConst(out, at, PREV);
    at = writeStr(out, at, row.prev);
    at = writeConst(out, at, HASH);
    return writeStr(out, at, row.hash);
  },
};
