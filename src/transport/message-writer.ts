// Raft messages written by hand: the same msgpack bytes msgpackr's generic object walk writes,
// for every message made of scalar fields (string, safe uint, boolean) plus AppendEntries'
// `entries` of normal entries. Keys are written in the object's own order, as msgpackr does, so
// messages built by the core, by the wire decoder or by tests all qualify. Anything else (a
// snapshot chunk's nested meta, conf entries, unknown keys, other value types) makes
// messageSize answer -1 and the caller takes the generic path. Like every encoder here, this
// assumes Object.prototype has no enumerable keys (msgpackr would skip inherited ones).
import {
  arrayHeaderBytes,
  constant,
  type Const,
  FALSE,
  fixstr,
  isUint,
  MAP16_HEADER_BYTES,
  type MsgpackOut,
  strBytes,
  TRUE,
  uintBytes,
  writeArrayHeader,
  writeConst,
  writeMap16Header,
  writeStr,
  writeUint,
} from '../codec/index.ts';
import type { Message } from '../raft/messages.ts';
import { normalEntrySize, writeNormalEntry, type NormalEntry } from '../storage/entry-writer.ts';

const ENTRIES = 'entries';
// Every key of a scalar-only Raft message, as ready-made fixstr bytes.
const KEY_BYTES: ReadonlyMap<string, Const> = new Map(
  [
    ...['type', 'from', 'to', 'term', ENTRIES, 'prevIndex', 'prevTerm', 'commit'],
    ...['success', 'index', 'hintIndex', 'hintTerm', 'readSeq', 'lastIndex', 'lastTerm'],
    ...['force', 'granted', 'snapIndex', 'offset', 'done', 'context'],
  ].map((k) => [k, constant(fixstr(k))]),
);

/** Never written: messageSize answers -1 for a message with a key not in KEY_BYTES. */
const NO_KEY = constant();

type Fields = Readonly<Record<string, unknown>>;

/** Size of `m`'s msgpack map, or -1 when writeMessage would not reproduce msgpackr's bytes. */
export function messageSize(m: Message): number {
  if (Object.getPrototypeOf(m) !== Object.prototype) return -1;
  const fields = m as unknown as Fields;
  let size = MAP16_HEADER_BYTES;
  for (const k in fields) {
    const key = KEY_BYTES.get(k);
    if (key === undefined) return -1;
    const v = fields[k];
    const valueBytes = k === ENTRIES ? entriesSize(v) : scalarSize(v);
    if (valueBytes < 0) return -1;
    size += key.length + valueBytes;
  }
  return size;
}

/** Writes a message messageSize accepted; returns the position after it. */
export function writeMessage(out: MsgpackOut, at: number, m: Message): number {
  const fields = m as unknown as Fields;
  let count = 0;
  let p = at + MAP16_HEADER_BYTES;
  for (const k in fields) {
    p = writeConst(out, p, KEY_BYTES.get(k) ?? NO_KEY);
    const v = fields[k];
    if (typeof v === 'string') p = writeStr(out, p, v);
    else if (typeof v === 'number') p = writeUint(out, p, v);
    else if (typeof v === 'boolean') out.bytes[p++] = v ? TRUE : FALSE;
    else p = writeEntries(out, p, v as readonly NormalEntry[]);
    count++;
  }
  writeMap16Header(out, at, count);
  return p;
}

function scalarSize(v: unknown): number {
  if (typeof v === 'string') return strBytes(v);
  if (typeof v === 'boolean') return 1;
  return isUint(v) ? uintBytes(v) : -1;
}

function entriesSize(v: unknown): number {
  if (!Array.isArray(v) || Object.getPrototypeOf(v) !== Array.prototype) return -1;
  const entries = v as readonly NormalEntry[];
  let size = arrayHeaderBytes(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e: unknown = entries[i];
    // Holes and non-objects: msgpackr writes those, the fast path does not.
    const n = typeof e === 'object' && e !== null ? normalEntrySize(e as NormalEntry) : -1;
    if (n < 0) return -1;
    size += n;
  }
  return size;
}

function writeEntries(out: MsgpackOut, at: number, entries: readonly NormalEntry[]): number {
  let p = writeArrayHeader(out, at, entries.length);
  for (const e of entries) p = writeNormalEntry(out, p, e);
  return p;
}
