// The subset of msgpack that hashicorp/go-msgpack 0.5.x speaks with memberlist's
// `codec.MsgpackHandle{}` (WriteExt false), byte for byte:
//   - unsigned and non-negative signed integers: positive fixint (0..127), then the smallest of
//     uint8 (0xcc), uint16 (0xcd), uint32 (0xce), uint64 (0xcf) — never the int8..int64 forms;
//   - strings AND []byte (including []uint8 such as Vsn) as the old "raw" type: fixstr
//     (0xa0|len, len < 32), str16 (0xda) for 32..65535, str32 (0xdb) above; never str8 (0xd9)
//     nor bin (0xc4..0xc6), which go-msgpack only writes when WriteExt is set;
//   - a nil slice as nil (0xc0), an empty non-nil slice as an empty fixstr (0xa0);
//   - structs as maps keyed by field name, keys sorted by name, omitempty fields left out.
// The reader is more liberal, as go-msgpack's decoder is: it takes str8 and bin8/16/32 too,
// signed integer forms, and skips values it does not need. It never allocates more than the
// input can hold: a container's claimed length is checked against the bytes that remain.
import { GossipWireError } from './errors.ts';

/** A decoded msgpack value. Raw/str/bin all decode to bytes (Go strings are bytes too). */
export type MpValue = null | boolean | number | bigint | MpFloat | Uint8Array | MpValue[] | MpMap;

export class MpFloat {
  readonly value: number;

  constructor(value: number) {
    this.value = value;
  }
}

export class MpMap {
  readonly entries: readonly (readonly [MpValue, MpValue])[];

  constructor(entries: readonly (readonly [MpValue, MpValue])[]) {
    this.entries = entries;
  }
}

const MAX_DEPTH = 32;

export class MpWriter {
  private buf: Uint8Array;
  private len = 0;

  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }

  get length(): number {
    return this.len;
  }

  private ensure(extra: number): void {
    const need = this.len + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b & 0xff;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  private be(value: number, size: 2 | 4): void {
    this.ensure(size);
    for (let i = size - 1; i >= 0; i--) this.buf[this.len++] = (value >>> (8 * i)) & 0xff;
  }

  nil(): void {
    this.byte(0xc0);
  }

  bool(v: boolean): void {
    this.byte(v ? 0xc3 : 0xc2);
  }

  /** A non-negative integer (Go uintN, or a non-negative intN), smallest form. */
  uint(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new GossipWireError('invalid', `not a non-negative integer: ${String(v)}`);
    }
    if (v <= 0x7f) this.byte(v);
    else if (v <= 0xff) {
      this.byte(0xcc);
      this.byte(v);
    } else if (v <= 0xffff) {
      this.byte(0xcd);
      this.be(v, 2);
    } else if (v <= 0xffffffff) {
      this.byte(0xce);
      this.be(v, 4);
    } else {
      this.byte(0xcf);
      this.be(Math.floor(v / 0x100000000), 4);
      this.be(v >>> 0, 4);
    }
  }

  /** go-msgpack's container length for raw strings: fixstr, str16 or str32 (no str8). */
  private rawHeader(n: number): void {
    if (n < 32) this.byte(0xa0 | n);
    else if (n < 0x10000) {
      this.byte(0xda);
      this.be(n, 2);
    } else {
      this.byte(0xdb);
      this.be(n, 4);
    }
  }

  raw(b: Uint8Array): void {
    this.rawHeader(b.length);
    this.bytes(b);
  }

  str(s: string): void {
    this.raw(utf8Encode(s));
  }

  mapHeader(n: number): void {
    if (n < 16) this.byte(0x80 | n);
    else if (n < 0x10000) {
      this.byte(0xde);
      this.be(n, 2);
    } else {
      this.byte(0xdf);
      this.be(n, 4);
    }
  }

  arrayHeader(n: number): void {
    if (n < 16) this.byte(0x90 | n);
    else if (n < 0x10000) {
      this.byte(0xdc);
      this.be(n, 2);
    } else {
      this.byte(0xdd);
      this.be(n, 4);
    }
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

export function utf8Encode(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Go strings are arbitrary bytes; invalid UTF-8 becomes U+FFFD here. */
export function utf8Decode(b: Uint8Array): string {
  return decoder.decode(b);
}

export class MpReader {
  private pos: number;
  private readonly buf: Uint8Array;
  private readonly end: number;

  constructor(buf: Uint8Array, offset = 0, end = buf.length) {
    this.buf = buf;
    this.pos = offset;
    this.end = end;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): void {
    if (this.end - this.pos < n) {
      throw new GossipWireError('truncated', `msgpack value needs ${String(n)} more bytes`);
    }
  }

  private u8(): number {
    this.need(1);
    return this.buf[this.pos++] ?? 0;
  }

  private be(size: 1 | 2 | 4): number {
    this.need(size);
    let v = 0;
    for (let i = 0; i < size; i++) v = v * 256 + (this.buf[this.pos++] ?? 0);
    return v;
  }

  private take(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Reads one complete value. Throws GossipWireError ('truncated' or 'malformed'). */
  read(depth = 0): MpValue {
    if (depth > MAX_DEPTH) throw new GossipWireError('too-large', 'msgpack nesting too deep');
    const b = this.u8();
    if (b <= 0x7f) return b;
    if (b >= 0xe0) return b - 0x100;
    if (b >= 0xa0 && b <= 0xbf) return this.take(b & 0x1f);
    if (b >= 0x90 && b <= 0x9f) return this.array(b & 0x0f, depth);
    if (b >= 0x80 && b <= 0x8f) return this.map(b & 0x0f, depth);
    switch (b) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xcc:
        return this.be(1);
      case 0xcd:
        return this.be(2);
      case 0xce:
        return this.be(4);
      case 0xcf: {
        const hi = this.be(4);
        const lo = this.be(4);
        const v = (BigInt(hi) << 32n) | BigInt(lo);
        return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
      }
      case 0xd0: {
        const v = this.be(1);
        return v >= 0x80 ? v - 0x100 : v;
      }
      case 0xd1: {
        const v = this.be(2);
        return v >= 0x8000 ? v - 0x10000 : v;
      }
      case 0xd2: {
        const v = this.be(4);
        return v >= 0x80000000 ? v - 0x100000000 : v;
      }
      case 0xd3: {
        const hi = this.be(4);
        const lo = this.be(4);
        const v = BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
        return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
          ? Number(v)
          : v;
      }
      case 0xca: {
        const t = this.take(4);
        return new MpFloat(new DataView(t.buffer, t.byteOffset, 4).getFloat32(0));
      }
      case 0xcb: {
        const t = this.take(8);
        return new MpFloat(new DataView(t.buffer, t.byteOffset, 8).getFloat64(0));
      }
      case 0xd9:
      case 0xc4:
        return this.take(this.be(1));
      case 0xda:
      case 0xc5:
        return this.take(this.be(2));
      case 0xdb:
      case 0xc6:
        return this.take(this.be(4));
      case 0xdc:
        return this.array(this.be(2), depth);
      case 0xdd:
        return this.array(this.be(4), depth);
      case 0xde:
        return this.map(this.be(2), depth);
      case 0xdf:
        return this.map(this.be(4), depth);
      case 0xd4:
      case 0xd5:
      case 0xd6:
      case 0xd7:
      case 0xd8:
        // fixext 1/2/4/8/16: a type byte and the data; no memberlist field is an extension.
        this.take(1 + (1 << (b - 0xd4)));
        throw new GossipWireError('type', 'msgpack extension values are not used by memberlist');
      case 0xc7:
      case 0xc8:
      case 0xc9: {
        const n = this.be(b === 0xc7 ? 1 : b === 0xc8 ? 2 : 4);
        this.take(1 + n);
        throw new GossipWireError('type', 'msgpack extension values are not used by memberlist');
      }
      default:
        throw new GossipWireError('malformed', `invalid msgpack byte 0x${b.toString(16)}`);
    }
  }

  private array(n: number, depth: number): MpValue[] {
    // Every element takes at least one byte: a claimed length beyond the input is truncation.
    this.need(n);
    const out: MpValue[] = [];
    for (let i = 0; i < n; i++) out.push(this.read(depth + 1));
    return out;
  }

  private map(n: number, depth: number): MpMap {
    this.need(2 * n);
    const out: (readonly [MpValue, MpValue])[] = [];
    for (let i = 0; i < n; i++) {
      const k = this.read(depth + 1);
      const v = this.read(depth + 1);
      out.push([k, v]);
    }
    return new MpMap(out);
  }
}
