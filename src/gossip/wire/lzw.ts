// LZW as Go's compress/lzw does it with Order LSB and litWidth 8 (what memberlist uses):
// codes start 9 bits wide and grow to 12; code 256 clears the table, 257 ends the stream;
// codes are packed least-significant bit first. The encoder mirrors Go 1.19's writer so its
// output is byte-identical: a clear code first, a clear code (and a reset) whenever the next
// code to assign would be 4095, and the final code, the end code and the last partial byte.
import { GossipWireError } from './errors.ts';

const CLEAR = 256;
const EOF = 257;
const MAX_CODE = 4095;
const MAX_WIDTH = 12;

class BitWriter {
  private out: Uint8Array;
  private len = 0;
  private bits = 0;
  private nBits = 0;
  width = 9;

  constructor(capacity: number) {
    this.out = new Uint8Array(Math.max(16, capacity));
  }

  write(code: number): void {
    this.bits |= code << this.nBits;
    this.nBits += this.width;
    while (this.nBits >= 8) {
      this.push(this.bits & 0xff);
      this.bits >>>= 8;
      this.nBits -= 8;
    }
  }

  private push(b: number): void {
    if (this.len === this.out.length) {
      const next = new Uint8Array(this.out.length * 2);
      next.set(this.out);
      this.out = next;
    }
    this.out[this.len++] = b;
  }

  finish(): Uint8Array {
    if (this.nBits > 0) this.push(this.bits & 0xff);
    return this.out.slice(0, this.len);
  }
}

export function lzwCompress(input: Uint8Array): Uint8Array {
  const w = new BitWriter(input.length / 2 + 8);
  let hi = EOF;
  let overflow = 1 << 9;
  // (prefix code << 8 | next byte) -> code; prefix codes are < 4096, so keys are < 2^20.
  const table = new Map<number, number>();

  // Go's incHi: the next implied code; returns false when it had to clear the table.
  const incHi = (): boolean => {
    hi++;
    if (hi === overflow) {
      w.width++;
      overflow <<= 1;
    }
    if (hi === MAX_CODE) {
      w.write(CLEAR);
      w.width = 9;
      hi = EOF;
      overflow = 1 << 9;
      table.clear();
      return false;
    }
    return true;
  };

  w.write(CLEAR);
  if (input.length === 0) {
    w.write(EOF);
    return w.finish();
  }
  let code = input[0] ?? 0;
  for (let i = 1; i < input.length; i++) {
    const literal = input[i] ?? 0;
    const key = (code << 8) | literal;
    const found = table.get(key);
    if (found !== undefined) {
      code = found;
      continue;
    }
    w.write(code);
    code = literal;
    if (incHi()) table.set(key, hi);
  }
  w.write(code);
  incHi();
  w.write(EOF);
  return w.finish();
}

/**
 * Decompresses an LZW stream, failing (never throwing anything but GossipWireError) on an
 * invalid code, a stream without its end code, or output beyond maxOutput bytes.
 */
export function lzwDecompress(input: Uint8Array, maxOutput: number): Uint8Array {
  const prefix = new Uint16Array(1 << MAX_WIDTH);
  const suffix = new Uint8Array(1 << MAX_WIDTH);
  const first = new Uint8Array(1 << MAX_WIDTH); // first byte of each code's expansion
  const lengths = new Uint16Array(1 << MAX_WIDTH);
  let out = new Uint8Array(Math.min(maxOutput, Math.max(64, input.length * 4)));
  let o = 0;
  let pos = 0;
  let bits = 0;
  let nBits = 0;
  let width = 9;
  let hi = EOF;
  let overflow = 1 << 9;
  let last = -1;

  const ensure = (n: number): void => {
    if (o + n > maxOutput) {
      throw new GossipWireError(
        'too-large',
        `decompressed data exceeds ${String(maxOutput)} bytes`,
      );
    }
    if (o + n <= out.length) return;
    let cap = out.length * 2;
    while (cap < o + n) cap *= 2;
    const next = new Uint8Array(Math.min(cap, maxOutput));
    next.set(out.subarray(0, o));
    out = next;
  };

  // Writes code's expansion at out[o..]; returns its length.
  const expand = (code: number): number => {
    const n = code < CLEAR ? 1 : (lengths[code] ?? 0);
    ensure(n);
    let c = code;
    for (let i = n - 1; i > 0; i--) {
      out[o + i] = suffix[c] ?? 0;
      c = prefix[c] ?? 0;
    }
    out[o] = c;
    return n;
  };

  for (;;) {
    while (nBits < width) {
      if (pos >= input.length) {
        throw new GossipWireError('truncated', 'LZW stream ends without its end code');
      }
      bits |= (input[pos++] ?? 0) << nBits;
      nBits += 8;
    }
    const code = bits & ((1 << width) - 1);
    bits >>>= width;
    nBits -= width;

    if (code === CLEAR) {
      width = 9;
      hi = EOF;
      overflow = 1 << 9;
      last = -1;
      continue;
    }
    if (code === EOF) return out.slice(0, o);

    let head: number;
    if (code < CLEAR) {
      ensure(1);
      out[o++] = code;
      head = code;
    } else if (code < hi) {
      const n = expand(code);
      head = first[code] ?? 0;
      o += n;
    } else if (code === hi && last >= 0) {
      // The code being defined right now: last's expansion plus its own first byte.
      const n = expand(last);
      head = last < CLEAR ? last : (first[last] ?? 0);
      ensure(n + 1);
      out[o + n] = head;
      o += n + 1;
    } else {
      throw new GossipWireError('malformed', `invalid LZW code ${String(code)}`);
    }
    if (last >= 0) {
      suffix[hi] = head;
      prefix[hi] = last;
      first[hi] = last < CLEAR ? last : (first[last] ?? 0);
      lengths[hi] = (last < CLEAR ? 1 : (lengths[last] ?? 0)) + 1;
    }
    last = code;
    hi++;
    if (hi >= overflow) {
      if (width === MAX_WIDTH) {
        last = -1;
        hi--;
      } else {
        width++;
        overflow <<= 1;
      }
    }
  }
}
