// Splits a byte stream into length-prefixed frames: 4-byte big-endian payload length, then the
// payload. The length is checked against the bound as soon as its 4 bytes arrive, so an
// oversized frame is refused before a single byte of it is buffered.
import { WireError } from './wire-error.ts';

export const FRAME_HEADER_BYTES = 4;
export const DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024;

export interface FrameBatch {
  /** Complete payloads, in stream order (without their length prefix). */
  readonly frames: Uint8Array[];
  /** Set once the stream is unusable; the decoder stays failed and ignores further input. */
  readonly error: WireError | null;
}

export class FrameDecoder {
  readonly #maxFrameBytes: number;
  readonly #header = new Uint8Array(FRAME_HEADER_BYTES);
  #headerFill = 0;
  /** The payload being assembled across chunks; null while reading a header. */
  #body: Uint8Array | null = null;
  #bodyFill = 0;
  #error: WireError | null = null;

  constructor(maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  push(chunk: Uint8Array): FrameBatch {
    const frames: Uint8Array[] = [];
    let pos = 0;
    while (this.#error === null && pos < chunk.length) {
      if (this.#body === null) {
        pos = this.#readHeader(chunk, pos, frames);
      } else {
        pos = this.#readBody(chunk, pos, frames);
      }
    }
    return { frames, error: this.#error };
  }

  /** Bytes of a partial frame held between chunks. */
  get bufferedBytes(): number {
    return this.#body === null ? this.#headerFill : FRAME_HEADER_BYTES + this.#bodyFill;
  }

  #readHeader(chunk: Uint8Array, pos: number, frames: Uint8Array[]): number {
    let p = pos;
    // Fast path: a whole frame inside this chunk is handed out as a view, with no copying.
    if (this.#headerFill === 0 && chunk.length - p >= FRAME_HEADER_BYTES) {
      const len = readLength(chunk, p);
      if (!this.#accept(len)) return chunk.length;
      p += FRAME_HEADER_BYTES;
      if (chunk.length - p >= len) {
        frames.push(chunk.subarray(p, p + len));
        return p + len;
      }
      return this.#startBody(len, chunk, p, frames);
    }
    while (this.#headerFill < FRAME_HEADER_BYTES && p < chunk.length) {
      this.#header[this.#headerFill++] = chunk[p++] ?? 0;
    }
    if (this.#headerFill < FRAME_HEADER_BYTES) return p;
    this.#headerFill = 0;
    const len = readLength(this.#header, 0);
    if (!this.#accept(len)) return chunk.length;
    return this.#startBody(len, chunk, p, frames);
  }

  #startBody(len: number, chunk: Uint8Array, pos: number, frames: Uint8Array[]): number {
    // One allocation per frame that spans chunks, so reassembly is linear in its size.
    // A Buffer (not a bare Uint8Array): msgpackr decodes Buffers several times faster.
    this.#body = Buffer.allocUnsafe(len);
    this.#bodyFill = 0;
    return this.#readBody(chunk, pos, frames);
  }

  #readBody(chunk: Uint8Array, pos: number, frames: Uint8Array[]): number {
    const body = this.#body;
    if (body === null) return pos;
    const n = Math.min(body.length - this.#bodyFill, chunk.length - pos);
    body.set(chunk.subarray(pos, pos + n), this.#bodyFill);
    this.#bodyFill += n;
    if (this.#bodyFill === body.length) {
      frames.push(body);
      this.#body = null;
    }
    return pos + n;
  }

  #accept(len: number): boolean {
    if (len <= this.#maxFrameBytes) return true;
    const msg = `frame of ${String(len)} bytes exceeds the ${String(this.#maxFrameBytes)} byte limit`;
    this.#error = new WireError('FRAME_TOO_LARGE', msg, 'length');
    return false;
  }
}

function readLength(b: Uint8Array, p: number): number {
  // Unsigned 32-bit big-endian; `>>> 0` keeps lengths ≥ 2^31 positive.
  return (
    (((b[p] ?? 0) << 24) | ((b[p + 1] ?? 0) << 16) | ((b[p + 2] ?? 0) << 8) | (b[p + 3] ?? 0)) >>> 0
  );
}
