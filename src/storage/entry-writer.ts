// A normal Raft entry written by hand: the same msgpack bytes msgpackr's generic object walk
// writes for {type: 'normal', term, index, data}, without the walk. Both the lmdb log record and
// the AppendEntries frame embed these bytes, so neither format changes. Anything else (conf
// entries, other key orders, extra keys, non-plain objects) is left to msgpackr: the size
// function answers -1 and the caller takes the generic path.
import {
  binHeaderBytes,
  constant,
  fixstr,
  isUint,
  MAP16_HEADER_BYTES,
  type MsgpackOut,
  uintBytes,
  writeBin,
  writeConst,
  writeMap16Header,
  writeUint,
} from '../codec/index.ts';
import type { Entry } from '../raft/index.ts';

export type NormalEntry = Extract<Entry, { readonly type: 'normal' }>;

/** The key order the core, the wire decoder and the record decoder all build entries with. */
const KEYS = ['type', 'term', 'index', 'data'] as const;
const TYPE_NORMAL_TERM = constant(fixstr('type'), fixstr('normal'), fixstr('term'));
const INDEX = constant(fixstr('index'));
const DATA = constant(fixstr('data'));
const FIXED_BYTES = MAP16_HEADER_BYTES + TYPE_NORMAL_TERM.length + INDEX.length + DATA.length;

/**
 * Size of `e`'s msgpack map, or -1 when `e` is not exactly a plain normal entry whose bytes
 * writeNormalEntry reproduces.
 */
export function normalEntrySize(e: Entry): number {
  if (e.type !== 'normal' || Object.getPrototypeOf(e) !== Object.prototype) return -1;
  const { term, index, data } = e;
  if (!isUint(term) || !isUint(index) || !isByteArray(data)) return -1;
  // for-in lists own keys in insertion order, then any inherited enumerable ones.
  let i = 0;
  for (const k in e) {
    if (k !== KEYS[i]) return -1;
    i++;
  }
  if (i !== KEYS.length) return -1;
  const n = data.length;
  return FIXED_BYTES + uintBytes(term) + uintBytes(index) + binHeaderBytes(n) + n;
}

/** Writes an entry normalEntrySize accepted; returns the position after it. */
export function writeNormalEntry(out: MsgpackOut, at: number, e: NormalEntry): number {
  let p = writeMap16Header(out, at, KEYS.length);
  p = writeConst(out, p, TYPE_NORMAL_TERM);
  p = writeUint(out, p, e.term);
  p = writeConst(out, p, INDEX);
  p = writeUint(out, p, e.index);
  p = writeConst(out, p, DATA);
  return writeBin(out, p, e.data);
}

/** A plain Uint8Array or a Buffer (msgpackr writes both as bin); anything exotic goes generic. */
function isByteArray(v: unknown): v is Uint8Array {
  if (!(v instanceof Uint8Array)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Uint8Array.prototype || proto === Buffer.prototype;
}
