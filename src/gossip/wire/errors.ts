// Every decoder in the wire layer reports problems as a GossipWireError; none throws anything else.

export type GossipWireErrorCode =
  /** The input ended before a complete value (a stream reader may wait for more bytes). */
  | 'truncated'
  /** Bytes that are not valid msgpack, LZW, compound framing or encryption framing. */
  | 'malformed'
  /** A field or value of the wrong msgpack type. */
  | 'type'
  /** A number outside its Go type's range, or an unknown enum value. */
  | 'range'
  /** A messageType byte memberlist does not send in this position. */
  | 'unknown-type'
  /** Over a size or count bound (packet, stream, compound parts, decompressed size, nesting). */
  | 'too-large'
  /** The hasCrcMsg checksum does not match. */
  | 'crc'
  /** No installed key authenticates the message, or an unsupported encryption version. */
  | 'decrypt'
  /** Encrypted input without a keyring, or plaintext while the keyring requires encryption. */
  | 'encryption'
  /** An unknown compression algorithm. */
  | 'compression'
  /** A bad label header, or a label (or its absence) that differs from ours. */
  | 'label'
  /** A value that cannot be encoded (e.g. a string longer than Go's limits, a bad key). */
  | 'invalid';

export class GossipWireError extends Error {
  readonly code: GossipWireErrorCode;
  /** The struct field being decoded, e.g. "alive.Port", when the problem is in one. */
  readonly field: string | undefined;

  constructor(code: GossipWireErrorCode, message: string, field?: string) {
    super(field === undefined ? message : `${field}: ${message}`);
    this.name = 'GossipWireError';
    this.code = code;
    this.field = field;
  }
}

/** Wraps anything thrown by a platform call (crypto, TextDecoder) into a GossipWireError. */
export function asWireError(e: unknown, code: GossipWireErrorCode, what: string): GossipWireError {
  if (e instanceof GossipWireError) return e;
  const text = e instanceof Error ? e.message : String(e);
  return new GossipWireError(code, `${what}: ${text}`);
}
