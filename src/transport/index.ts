// Public surface of the Raft TCP transport.
export { createTcpTransport, defaultTransportTuning } from './tcp-transport.ts';
export type {
  TcpTransport,
  TcpTransportComponents,
  TcpTransportOptions,
  TransportTuning,
} from './tcp-transport.ts';
export type { PeerStatus, TransportCounters, TransportStats } from './stats.ts';
export { AddressError, formatHostPort, parseHostPort } from './address.ts';
export type { HostPort, ParseOptions } from './address.ts';
export {
  decodeHello,
  decodeInbound,
  decodeMessage,
  encodeAppFrame,
  encodeHello,
  encodeMessage,
} from './codec.ts';
export { DEFAULT_MAX_FRAME_BYTES, FRAME_HEADER_BYTES, FrameDecoder } from './frame-decoder.ts';
export type { FrameBatch } from './frame-decoder.ts';
export { MAX_NODE_ID_LENGTH } from './fields.ts';
export { PROTOCOL_VERSION } from './schema.ts';
export type { AppFrame, Hello } from './schema.ts';
export { WireError } from './wire-error.ts';
export type { WireErrorCode } from './wire-error.ts';
export { backoffDelay } from './backoff.ts';
export type { BackoffPolicy } from './backoff.ts';
