// SHA-256 for the event log's hot path. Node >= 20.12 has crypto.hash, a one-shot digest that
// skips the Hash object and its stream plumbing: about twice as fast as createHash for the
// short inputs here (a value of a few hundred bytes, an event of ~250). Older Node 20 releases
// fall back to createHash; both give the same digest.
import * as crypto from 'node:crypto';

interface OneShot {
  (algorithm: string, data: Uint8Array, outputEncoding: 'hex'): string;
}
const oneShot: OneShot | null = typeof crypto.hash === 'function' ? crypto.hash : null;

export function sha256Hex(data: Uint8Array): string {
  return oneShot !== null
    ? oneShot('sha256', data, 'hex')
    : crypto.createHash('sha256').update(data).digest('hex');
}

/** Bytes a UTF-8 encoding of a string of `length` UTF-16 code units can take at most. */
const UTF8_BYTES_PER_UNIT_MAX = 3;
let scratch = Buffer.allocUnsafe(4096);

/**
 * Hex SHA-256 of `bytes(prefixHex) || UTF-8(text)`, where bytes(prefixHex) is what
 * Buffer.from(prefixHex, 'hex') gives. Both are written into a reused scratch buffer and the
 * digest comes back as a string, so no buffer is allocated per event.
 */
export function sha256HexAfter(prefixHex: string, text: string): string {
  const bound = (prefixHex.length >>> 1) + text.length * UTF8_BYTES_PER_UNIT_MAX;
  if (bound > scratch.byteLength)
    scratch = Buffer.allocUnsafe(Math.max(bound, 2 * scratch.byteLength));
  const prefixBytes = scratch.write(prefixHex, 0, 'hex');
  const written = scratch.write(text, prefixBytes, 'utf8');
  return sha256Hex(scratch.subarray(0, prefixBytes + written));
}
