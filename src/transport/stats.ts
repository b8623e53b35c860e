// Counters of one transport; plain numbers now, prom-client metrics later.

export interface TransportCounters {
  /** Frames handed to a socket (not acknowledged: Raft has its own acknowledgements). */
  framesSent: number;
  bytesSent: number;
  /** Writes to sockets that carried frames; corked frames leave together as one. */
  socketWrites: number;
  /** Valid messages delivered to onMessage. */
  framesReceived: number;
  bytesReceived: number;
  /** Messages never handed to a socket: queue overflow, oversized, no address, stopped. */
  dropped: number;
  /** Inbound frames that closed their connection: too large, bad msgpack, bad fields, handshake. */
  badFrames: number;
  /** Valid messages addressed to another node (dropped). */
  misaddressed: number;
  /** Successful outgoing connects after a link's first one. */
  reconnects: number;
  /** Outgoing dials that failed (refused, timed out, no address). */
  dialFailures: number;
  /** Inbound connections closed on arrival because a connection limit was reached. */
  inboundRefused: number;
}

export interface PeerStatus {
  readonly connected: boolean;
  readonly queuedFrames: number;
  readonly queuedBytes: number;
}

export interface TransportStats extends Readonly<TransportCounters> {
  readonly inboundConnections: number;
  readonly peers: Readonly<Record<string, PeerStatus>>;
}

export function zeroCounters(): TransportCounters {
  return {
    framesSent: 0,
    bytesSent: 0,
    socketWrites: 0,
    framesReceived: 0,
    bytesReceived: 0,
    dropped: 0,
    badFrames: 0,
    misaddressed: 0,
    reconnects: 0,
    dialFailures: 0,
    inboundRefused: 0,
  };
}
