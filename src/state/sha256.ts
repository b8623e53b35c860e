// SHA-256 for the event log's hot path. Node >= 20.12 has crypto.hash, a one-shot digest that
// skips the Hash object and its stream plumbing: about twice as fast as createHash for the
// short inputs here (a value of a few hundred bytes, an event of ~250). Older Node 20 releases
// fall back to createHash; both give the same digest.
import * as crypto from 'node:crypto';

interface OneShot {
  (algorithm: string, data: Uint8Array, outputEncoding: 'buffer'): Buffer;
  (algorithm: string, data: Uint8Array, outputEncoding: 'hex'): string;
}
const oneShot: OneShot | null = typeof crypto.hash === 'function' ? crypto.hash : null;

/** Raw 32-byte digest. */
export function sha256(data: Uint8Array): Buffer {
  return oneShot !== null
    ? oneShot('sha256', data, 'buffer')
    : crypto.createHash('sha256').update(data).digest();
}

export function sha256Hex(data: Uint8Array): string {
  return oneShot !== null
    ? oneShot('sha256', data, 'hex')
    : crypto.createHash('sha256').update(data).digest('hex');
}

/** Bytes a UTF-8 encoding of a string of `length` UTF-16 code units can take at most. */
const UTF8_BYTES_PER_UNIT_MAX = 3;
let scratch = Buffer.allocUnsafe(4096);

/**
 * Raw SHA-256 of `prefix || UTF-8(text)`: the two are written into a reused scratch buffer, so
 * the digest is one call and no per-event buffers are allocated.
 */
export function sha256Concat(prefix: Uint8Array, text: string): Buffer {
  const bound = prefix.byteLength + text.length * UTF8_BYTES_PER_UNIT_MAX;
  if (bound > scratch.byteLength)
    scratch = Buffer.allocUnsafe(Math.max(bound, 2 * scratch.byteLength));
  scratch.set(prefix, 0);
  const written = scratch.write(text, prefix.byteLength, 'utf8');
  return sha256(scratch.subarray(0, prefix.byteLength + written));
}
