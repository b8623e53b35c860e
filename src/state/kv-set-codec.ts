// The hot command, kv.set, written and read by hand instead of through msgpackr's generic
// object walk. The bytes are ordinary msgpack (a 6-entry map: t, key, value, flags, cas, at),
// so any msgpack reader still decodes them, and decodeCommand still reads every other layout
// (older entries, other writers) through msgpackr. The fast reader accepts only exactly this
// layout and answers null for anything else, so the generic path stays the one authority on
// what a valid command is.
import {
  BIN16,
  BIN32,
  BIN8,
  constant,
  type Const,
  FLOAT64,
  fixstr,
  msgpackOut,
  NIL,
  STR16,
  STR32,
  STR8,
  UINT16,
  UINT32,
  UINT8,
  uintBytes,
  writeBinHeader,
  writeConst,
  writeStrHeader,
  writeUint,
} from '../codec/index.ts';
import { AT_MAX_MS, type Command } from './commands.ts';

export type KvSet = Extract<Command, { t: 'kv.set' }>;

const FIXMAP_6 = 0x86;

const T = constant(fixstr('t'));
const KV_SET = constant(fixstr('kv.set'));
const KEY = constant(fixstr('key'));
const VALUE = constant(fixstr('value'));
const FLAGS = constant(fixstr('flags'));
const CAS = constant(fixstr('cas'));
const AT = constant(fixstr('at'));

/** msgpack bytes of a validated kv.set with `at` set. */
export function encodeKvSet(c: KvSet & { readonly at: number }): Uint8Array {
  const keyBytes = Buffer.byteLength(c.key);
  const valueBytes = c.value.byteLength;
  const size =
    1 +
    T.length +
    KV_SET.length +
    KEY.length +
    5 +
    keyBytes +
    VALUE.length +
    5 +
    valueBytes +
    FLAGS.length +
    uintBytes(c.flags) +
    CAS.length +
    (c.cas === null ? 1 : uintBytes(c.cas)) +
    AT.length +
    uintBytes(c.at);
  const out = msgpackOut(Buffer.allocUnsafe(size));
  const b = out.bytes;
  let at = 0;
  b[at++] = FIXMAP_6;
  at = writeConst(out, at, T);
  at = writeConst(out, at, KV_SET);
  at = writeConst(out, at, KEY);
  at = writeStrHeader(out, at, keyBytes);
  at += b.write(c.key, at, 'utf8');
  at = writeConst(out, at, VALUE);
  at = writeBinHeader(out, at, valueBytes);
  b.set(c.value, at);
  at += valueBytes;
  at = writeConst(out, at, FLAGS);
  at = writeUint(out, at, c.flags);
  at = writeConst(out, at, CAS);
  if (c.cas === null) b[at++] = NIL;
  else at = writeUint(out, at, c.cas);
  at = writeConst(out, at, AT);
  at = writeUint(out, at, c.at);
  return new Uint8Array(b.buffer, b.byteOffset, at);
}

/** A cursor over one entry's bytes; every read returns -1 (or null) when the layout differs. */
class Reader {
  readonly b: Buffer;
  pos = 0;

  constructor(bytes: Uint8Array) {
    this.b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  constant({ bytes: c }: Const): boolean {
    const { b, pos } = this;
    if (pos + c.length > b.length) return false;
    for (let i = 0; i < c.length; i++) if (b[pos + i] !== c[i]) return false;
    this.pos = pos + c.length;
    return true;
  }

  /** A non-negative integer, or -1. */
  uint(): number {
    const { b, pos } = this;
    const tag = b[pos];
    if (tag === undefined) return -1;
    if (tag < 0x80) {
      this.pos = pos + 1;
      return tag;
    }
    const need =
      tag === UINT8 ? 2 : tag === UINT16 ? 3 : tag === UINT32 ? 5 : tag === FLOAT64 ? 9 : 0;
    if (need === 0 || pos + need > b.length) return -1;
    this.pos = pos + need;
    if (tag === UINT8) return b[pos + 1] ?? -1;
    if (tag === UINT16) return b.readUInt16BE(pos + 1);
    if (tag === UINT32) return b.readUInt32BE(pos + 1);
    const d = b.readDoubleBE(pos + 1);
    return Number.isSafeInteger(d) && d >= 0 ? d : -1;
  }

  /** The length after a str (or bin) header, or -1. */
  length(kind: 'str' | 'bin'): number {
    const { b, pos } = this;
    const tag = b[pos];
    if (tag === undefined) return -1;
    let n = -1;
    let head = 0;
    if (kind === 'str' && tag >= 0xa0 && tag <= 0xbf) {
      n = tag & 0x1f;
      head = 1;
    } else if (tag === (kind === 'str' ? STR8 : BIN8) && pos + 2 <= b.length) {
      n = b[pos + 1] ?? -1;
      head = 2;
    } else if (tag === (kind === 'str' ? STR16 : BIN16) && pos + 3 <= b.length) {
      n = b.readUInt16BE(pos + 1);
      head = 3;
    } else if (tag === (kind === 'str' ? STR32 : BIN32) && pos + 5 <= b.length) {
      n = b.readUInt32BE(pos + 1);
      head = 5;
    }
    if (n < 0 || pos + head + n > b.length) return -1;
    this.pos = pos + head;
    return n;
  }
}

/**
 * The kv.set in `bytes` if they have exactly encodeKvSet's layout and valid field values; null
 * for anything else (the caller then takes the generic path, which also names what is wrong).
 * The value is a view into `bytes`, as msgpackr's would be.
 */
export function decodeKvSet(bytes: Uint8Array): KvSet | null {
  const r = new Reader(bytes);
  if (r.b[0] !== FIXMAP_6) return null;
  r.pos = 1;
  if (!r.constant(T) || !r.constant(KV_SET) || !r.constant(KEY)) return null;
  const keyLen = r.length('str');
  if (keyLen < 0) return null;
  const key = r.b.toString('utf8', r.pos, r.pos + keyLen);
  r.pos += keyLen;
  if (!r.constant(VALUE)) return null;
  const valueLen = r.length('bin');
  if (valueLen < 0) return null;
  const value = new Uint8Array(bytes.buffer, bytes.byteOffset + r.pos, valueLen);
  r.pos += valueLen;
  if (!r.constant(FLAGS)) return null;
  const flags = r.uint();
  if (flags < 0 || !r.constant(CAS)) return null;
  let cas: number | null = null;
  if (r.b[r.pos] === NIL) r.pos++;
  else if ((cas = r.uint()) < 0) return null;
  if (!r.constant(AT)) return null;
  const at = r.uint();
  if (at < 0 || at > AT_MAX_MS || r.pos !== r.b.length) return null;
  return { t: 'kv.set', key, value, flags, cas, at };
}
