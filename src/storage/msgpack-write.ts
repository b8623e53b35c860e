// msgpack writer primitives that produce exactly the bytes msgpackr (`useRecords: false`, no
// float32, no bundled strings) writes for the same values, so hand-written encoders of hot shapes
// stay byte-compatible with records and frames msgpackr wrote. Each writer takes the target
// buffer and a position and returns the position after what it wrote; the matching *Bytes
// function gives the size up front, so callers allocate the exact record once.

const BIN8 = 0xc4;
const BIN16 = 0xc5;
const BIN32 = 0xc6;
const UINT8 = 0xcc;
const UINT16 = 0xcd;
const UINT32 = 0xce;
const FLOAT64 = 0xcb;
const STR8 = 0xd9;
const STR16 = 0xda;
const STR32 = 0xdb;
const ARRAY16 = 0xdc;
const ARRAY32 = 0xdd;
/** msgpackr writes every plain object as a map16, whatever its size. */
const MAP16 = 0xde;
export const TRUE = 0xc3;
export const FALSE = 0xc2;

/** A fixstr-encoded ASCII constant (map keys, type names). */
export function fixstr(s: string): Uint8Array {
  if (!/^[\x20-\x7e]{0,31}$/.test(s)) throw new RangeError(`not a short ASCII constant: ${s}`);
  return Uint8Array.from([0xa0 | s.length, ...Buffer.from(s, 'latin1')]);
}

/** Several constants as one, to write a fixed run of keys and values in one copy. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** True for the numbers the uint writers below accept: safe integers >= 0. */
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

export function writeUint(out: Buffer, at: number, n: number): number {
  if (n < 0x80) {
    out[at] = n;
    return at + 1;
  }
  if (n <= 0xff) {
    out[at] = UINT8;
    out[at + 1] = n;
    return at + 2;
  }
  if (n <= 0xffff) {
    out[at] = UINT16;
    out[at + 1] = n >>> 8;
    out[at + 2] = n & 0xff;
    return at + 3;
  }
  if (n <= 0xffffffff) {
    out[at] = UINT32;
    writeU32(out, at + 1, n);
    return at + 5;
  }
  // msgpackr has no uint64 path for numbers: above 2^32 it writes a double (exact when safe).
  out[at] = FLOAT64;
  out.writeDoubleBE(n, at + 1);
  return at + 9;
}

/** The 16- or 32-bit length form of a str, bin or array header. */
function writeLength16or32(
  out: Buffer,
  at: number,
  n: number,
  tag16: number,
  tag32: number,
): number {
  if (n <= 0xffff) {
    out[at] = tag16;
    out[at + 1] = n >>> 8;
    out[at + 2] = n & 0xff;
    return at + 3;
  }
  out[at] = tag32;
  writeU32(out, at + 1, n);
  return at + 5;
}

// Byte stores instead of Buffer#writeUInt32BE, which checks its arguments on every call.
function writeU32(out: Buffer, at: number, n: number): void {
  out[at] = n >>> 24;
  out[at + 1] = (n >>> 16) & 0xff;
  out[at + 2] = (n >>> 8) & 0xff;
  out[at + 3] = n & 0xff;
}

/** Header bytes of a str of `n` UTF-8 bytes. */
function strHeaderBytes(n: number): number {
  if (n < 32) return 1;
  if (n <= 0xff) return 2;
  return n <= 0xffff ? 3 : 5;
}

function writeStrHeader(out: Buffer, at: number, n: number): number {
  if (n < 32) {
    out[at] = 0xa0 | n;
    return at + 1;
  }
  if (n <= 0xff) {
    out[at] = STR8;
    out[at + 1] = n;
    return at + 2;
  }
  return writeLength16or32(out, at, n, STR16, STR32);
}

/** Size of a whole str value; msgpackr writes lone surrogates as U+FFFD, as Buffer does. */
export function strBytes(s: string): number {
  if (isShortAscii(s)) return 1 + s.length;
  const n = Buffer.byteLength(s, 'utf8');
  return strHeaderBytes(n) + n;
}

export function writeStr(out: Buffer, at: number, s: string): number {
  if (isShortAscii(s)) {
    out[at] = 0xa0 | s.length;
    for (let i = 0; i < s.length; i++) out[at + 1 + i] = s.charCodeAt(i);
    return at + 1 + s.length;
  }
  const n = Buffer.byteLength(s, 'utf8');
  const start = writeStrHeader(out, at, n);
  return start + out.write(s, start, n, 'utf8');
}

/** A fixstr of one byte per character: node ids and type names, written without a native call. */
function isShortAscii(s: string): boolean {
  if (s.length >= 32) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** Header bytes of a bin of `n` bytes (there is no fix form). */
export function binHeaderBytes(n: number): number {
  if (n <= 0xff) return 2;
  return n <= 0xffff ? 3 : 5;
}

export function writeBinHeader(out: Buffer, at: number, n: number): number {
  if (n <= 0xff) {
    out[at] = BIN8;
    out[at + 1] = n;
    return at + 2;
  }
  return writeLength16or32(out, at, n, BIN16, BIN32);
}

/** Header bytes of an array of `n` items (fixarray up to 15, no 8-bit form). */
export function arrayHeaderBytes(n: number): number {
  if (n < 16) return 1;
  return n <= 0xffff ? 3 : 5;
}

export function writeArrayHeader(out: Buffer, at: number, n: number): number {
  if (n < 16) {
    out[at] = 0x90 | n;
    return at + 1;
  }
  return writeLength16or32(out, at, n, ARRAY16, ARRAY32);
}

export const MAP16_HEADER_BYTES = 3;

export function writeMap16Header(out: Buffer, at: number, n: number): number {
  out[at] = MAP16;
  out[at + 1] = n >>> 8;
  out[at + 2] = n & 0xff;
  return at + 3;
}

/** Copies a constant of a few bytes; a loop measured faster than TypedArray#set here. */
export function writeConst(out: Buffer, at: number, c: Uint8Array): number {
  for (let i = 0; i < c.length; i++) out[at + i] = c[i] ?? 0;
  return at + c.length;
}
