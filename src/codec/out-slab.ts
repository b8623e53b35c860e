// Small outputs cut from a shared slab, the way Buffer.allocUnsafe cuts small Buffers from its
// pool, so that one DataView serves many of them: making a MsgpackOut (its DataView) for each
// lmdb log record cost about a quarter of writing the record. Like Buffer's pool, a slab lives
// as long as any output cut from it, and the bytes after the newest output are not yet anyone's,
// so a writer that overran its size could not damage an earlier output.
import { msgpackOut, type MsgpackOut } from './msgpack-write.ts';

/** As Buffer.poolSize: outputs up to half of it share a slab, larger ones get their own. */
const SLAB_BYTES = 8 * 1024;
const SHARED_BYTES_MAX = SLAB_BYTES >>> 1;

/** `size` bytes of output at out.bytes[at, at + size), the caller's for good. */
export interface OutRange {
  readonly out: MsgpackOut;
  readonly at: number;
  /** Those bytes alone. */
  readonly bytes: Buffer;
}

let slab: MsgpackOut = msgpackOut(Buffer.allocUnsafeSlow(SLAB_BYTES));
let slabUsed = 0;

export function takeOut(size: number): OutRange {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`bad output size: ${String(size)}`);
  }
  if (size > SHARED_BYTES_MAX) {
    const bytes = Buffer.allocUnsafe(size);
    return { out: msgpackOut(bytes), at: 0, bytes };
  }
  if (slabUsed + size > SLAB_BYTES) {
    slab = msgpackOut(Buffer.allocUnsafeSlow(SLAB_BYTES));
    slabUsed = 0;
  }
  const at = slabUsed;
  // 8-byte aligned starts, as Buffer's pool keeps them.
  slabUsed = (at + size + 7) & ~7;
  return { out: slab, at, bytes: slab.bytes.subarray(at, at + size) };
}
