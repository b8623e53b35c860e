// msgpack writer primitives for the hand-written encoders of hot shapes (kv.set commands,
// snapshot rows, lmdb log records of normal entries, Raft messages). Each writes exactly the bytes
// msgpackr (Packr with useRecords: false, no float32, no bundled strings) writes for the value:
// the shortest integer form up to 32 bits and a float64 above it, the shortest str, bin and
// array headers, and a map16 header for every plain object. So records and frames stay readable
// by msgpackr and by anything msgpackr wrote before. A writer takes the output (a MsgpackOut) and
// a position and returns the position after what it wrote; the caller sizes the buffer exactly
// with the matching *Bytes functions.
// Multi-byte fields go through a DataView and constants word by word: a call into Buffer's write
// methods or a typed-array copy costs more than the few bytes it writes.

export const NIL = 0xc0;
export const FALSE = 0xc2;
export const TRUE = 0xc3;
export const BIN8 = 0xc4;
export const BIN16 = 0xc5;
export const BIN32 = 0xc6;
export const FLOAT64 = 0xcb;
export const UINT8 = 0xcc;
export const UINT16 = 0xcd;
export const UINT32 = 0xce;
export const STR8 = 0xd9;
export const STR16 = 0xda;
export const STR32 = 0xdb;
const ARRAY16 = 0xdc;
const ARRAY32 = 0xdd;
/** msgpackr writes every plain object as a map16, whatever its size. */
const MAP16 = 0xde;
export const MAP16_HEADER_BYTES = 3;

/** An output buffer with a DataView over it (its multi-byte stores compile to single writes). */
export interface MsgpackOut {
  readonly bytes: Buffer;
  readonly view: DataView;
}

export function msgpackOut(bytes: Buffer): MsgpackOut {
  return { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

/** Bytes known in advance (map headers and keys), kept as 32-bit words for writeConst. */
export interface Const {
  readonly bytes: Uint8Array;
  readonly length: number;
  readonly words: readonly number[];
  readonly tail: readonly number[];
}

/** The concatenation of `parts` as a Const, to write a fixed run of keys and values at once. */
export function constant(...parts: readonly Uint8Array[]): Const {
  const bytes = new Uint8Array(Buffer.concat(parts));
  const whole = bytes.length >> 2;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const words = Array.from({ length: whole }, (_, i) => view.getUint32(4 * i));
  const tail = [...bytes.subarray(4 * whole)];
  return { bytes, length: bytes.length, words, tail };
}

/** A fixstr-encoded printable ASCII constant (map keys, type names). */
export function fixstr(s: string): Uint8Array {
  if (!/^[\x20-\x7e]{0,31}$/.test(s)) throw new RangeError(`not a short ASCII constant: ${s}`);
  return Uint8Array.from([0xa0 | s.length, ...Buffer.from(s, 'latin1')]);
}

/** The map16 header of a map of `entries` entries, as constant bytes. */
export function map16(entries: number): Uint8Array {
  return Uint8Array.of(MAP16, entries >> 8, entries & 0xff);
}

export function writeMap16Header(out: MsgpackOut, at: number, entries: number): number {
  out.bytes[at] = MAP16;
  out.view.setUint16(at + 1, entries);
  return at + MAP16_HEADER_BYTES;
}

/** Word by word: cheaper than a typed-array copy call or a byte loop for a dozen bytes. */
export function writeConst(out: MsgpackOut, at: number, c: Const): number {
  const { words, tail } = c;
  for (let i = 0; i < words.length; i++) out.view.setUint32(at + 4 * i, words[i] ?? 0);
  at += 4 * words.length;
  for (let i = 0; i < tail.length; i++) out.bytes[at + i] = tail[i] ?? 0;
  return at + tail.length;
}

/** True for the numbers writeUint accepts: safe integers >= 0. */
export function isUint(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Bytes of an unsigned integer (at most 9). */
export function uintBytes(n: number): number {
  if (n < 0x80) return 1;
  if (n <= 0xff) return 2;
  if (n <= 0xffff) return 3;
  if (n <= 0xffffffff) return 5;
  return 9;
}

export function writeUint(out: MsgpackOut, at: number, n: number): number {
  const { bytes, view } = out;
  if (n < 0x80) {
    bytes[at] = n;
    return at + 1;
  }
  if (n <= 0xff) {
    bytes[at] = UINT8;
    bytes[at + 1] = n;
    return at + 2;
  }
  if (n <= 0xffff) {
    bytes[at] = UINT16;
    view.setUint16(at + 1, n);
    return at + 3;
  }
  if (n <= 0xffffffff) {
    bytes[at] = UINT32;
    view.setUint32(at + 1, n);
    return at + 5;
  }
  // msgpackr has no uint64 path for numbers: above 2^32 it writes a double (exact when safe).
  bytes[at] = FLOAT64;
  view.setFloat64(at + 1, n);
  return at + 9;
}

/** The 8-, 16- or 32-bit length form of a str or bin header. */
function writeLength8to32(
  out: MsgpackOut,
  at: number,
  n: number,
  tag8: number,
  tag16: number,
  tag32: number,
): number {
  if (n > 0xff) return writeLength16or32(out, at, n, tag16, tag32);
  out.bytes[at] = tag8;
  out.bytes[at + 1] = n;
  return at + 2;
}

/** The 16- or 32-bit length form of a str, bin or array header. */
function writeLength16or32(
  out: MsgpackOut,
  at: number,
  n: number,
  tag16: number,
  tag32: number,
): number {
  if (n <= 0xffff) {
    out.bytes[at] = tag16;
    out.view.setUint16(at + 1, n);
    return at + 3;
  }
  out.bytes[at] = tag32;
  out.view.setUint32(at + 1, n);
  return at + 5;
}

/** Bytes of the header of a str of `n` UTF-8 bytes. */
function strHeaderBytes(n: number): number {
  if (n < 0x20) return 1;
  if (n <= 0xff) return 2;
  return n <= 0xffff ? 3 : 5;
}

export function writeStrHeader(out: MsgpackOut, at: number, n: number): number {
  if (n < 0x20) {
    out.bytes[at] = 0xa0 | n;
    return at + 1;
  }
  return writeLength8to32(out, at, n, STR8, STR16, STR32);
}

/** Bytes of the header of a bin of `n` bytes (there is no fix form). */
export function binHeaderBytes(n: number): number {
  if (n <= 0xff) return 2;
  return n <= 0xffff ? 3 : 5;
}

export function writeBinHeader(out: MsgpackOut, at: number, n: number): number {
  return writeLength8to32(out, at, n, BIN8, BIN16, BIN32);
}

/** Bytes of the header of an array of `n` elements (fixarray up to 15, no 8-bit form). */
export function arrayHeaderBytes(n: number): number {
  if (n < 0x10) return 1;
  return n <= 0xffff ? 3 : 5;
}

export function writeArrayHeader(out: MsgpackOut, at: number, n: number): number {
  if (n < 0x10) {
    out.bytes[at] = 0x90 | n;
    return at + 1;
  }
  return writeLength16or32(out, at, n, ARRAY16, ARRAY32);
}

/** Bytes of `s` as a msgpack str, header included; lone surrogates count as U+FFFD. */
export function strBytes(s: string): number {
  if (s.length < 0x20 && isAscii(s)) return 1 + s.length;
  const n = Buffer.byteLength(s, 'utf8');
  return strHeaderBytes(n) + n;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

/**
 * `s` as a msgpack str; the buffer must have room for strBytes(s). Short ASCII strings (keys,
 * node ids, type names) are copied in JS, small enough to be inlined and cheaper than a call
 * into the encoder.
 */
export function writeStr(out: MsgpackOut, at: number, s: string): number {
  const n = s.length;
  if (n < 0x20) {
    const bytes = out.bytes;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      bytes[at + 1 + i] = c;
    }
    if (i === n) {
      bytes[at] = 0xa0 | n;
      return at + 1 + n;
    }
  }
  return writeEncodedStr(out, at, s);
}

/**
 * Any string: its UTF-8 is written after a header sized for the shortest possible length (UTF-8
 * never has fewer bytes than UTF-16 code units) and moved up if the real length needs a longer
 * header, so the length is computed once. Lone surrogates become U+FFFD, as in msgpackr.
 */
function writeEncodedStr(out: MsgpackOut, at: number, s: string): number {
  const guess = strHeaderBytes(s.length);
  const n = out.bytes.write(s, at + guess, 'utf8');
  const head = strHeaderBytes(n);
  if (head !== guess) out.bytes.copyWithin(at + head, at + guess, at + guess + n);
  writeStrHeader(out, at, n);
  return at + head + n;
}

/** `bytes` as a msgpack bin, header included. */
export function writeBin(out: MsgpackOut, at: number, bytes: Uint8Array): number {
  const n = bytes.byteLength;
  const from = writeBinHeader(out, at, n);
  out.bytes.set(bytes, from);
  return from + n;
}
