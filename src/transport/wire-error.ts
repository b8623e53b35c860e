// A frame that cannot be accepted. Decoding returns these instead of throwing, so a socket
// handler can close the one offending connection and keep serving the others.

export type WireErrorCode =
  | 'FRAME_TOO_LARGE'
  | 'BAD_MSGPACK'
  | 'UNKNOWN_TYPE'
  | 'BAD_FIELD'
  | 'BAD_VERSION'
  | 'BAD_HANDSHAKE';

export class WireError extends Error {
  readonly code: WireErrorCode;
  /** Path of the offending field (`entries[2].change.node`), or null when not about a field. */
  readonly field: string | null;

  constructor(code: WireErrorCode, message: string, field: string | null = null) {
    super(message);
    this.name = 'WireError';
    this.code = code;
    this.field = field;
  }
}
