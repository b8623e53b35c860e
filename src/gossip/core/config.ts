// Tunables of the gossip core, named after memberlist's Config fields (durations in ms), and
// memberlist's presets. Limits the algorithm needs are options here, never literals in code.

/** Lowest and highest memberlist protocol versions this core understands. */
export const protocolVersionMin = 1;
export const protocolVersionMax = 5;
/** Largest node meta memberlist accepts (MetaMaxSize). */
export const metaMaxSize = 512;

export interface GossipConfig {
  /** Protocol version spoken (2..5); advertised in Vsn as [min, max, cur, dmin, dmax, dcur]. */
  readonly protocolVersion: number;
  readonly delegateProtocolMin: number;
  readonly delegateProtocolMax: number;
  readonly delegateProtocolVersion: number;
  /** Time between failure probes (scaled up by the local health score). */
  readonly probeIntervalMs: number;
  /** Wait for a direct ack before asking peers to probe indirectly. */
  readonly probeTimeoutMs: number;
  /** Peers asked to probe a node that missed its direct ack. */
  readonly indirectChecks: number;
  /** Suspicion lasts suspicionMult * max(1, log10 N) * probeInterval at least. */
  readonly suspicionMult: number;
  /** The suspicion timeout starts at this multiple of the minimum. */
  readonly suspicionMaxTimeoutMult: number;
  /** Each broadcast is sent retransmitMult * ceil(log10(N + 1)) times. */
  readonly retransmitMult: number;
  readonly gossipIntervalMs: number;
  /** Random peers each gossip round sends queued broadcasts to. */
  readonly gossipNodes: number;
  /** Dead nodes keep receiving gossip (a chance to refute) for this long. */
  readonly gossipToTheDeadTimeMs: number;
  /** Full state exchange with one random peer, scaled up for large clusters; 0 disables. */
  readonly pushPullIntervalMs: number;
  /** Health score ceiling (exclusive): probe intervals stretch up to this multiple. */
  readonly awarenessMaxMultiplier: number;
  /** A dead node's name may be taken over by a new address after this long; 0: never. */
  readonly deadNodeReclaimTimeMs: number;
  /** Largest UDP payload; broadcasts piggyback on packets up to this many bytes. */
  readonly udpBufferSize: number;
  /** A stream we opened (push/pull, TCP ping) is forgotten after this long without an answer. */
  readonly tcpTimeoutMs: number;
  /** Skip the TCP fallback ping when a probe fails over UDP. */
  readonly disableTcpPings: boolean;
  /** Broadcasts queued at most; beyond it the most retransmitted are dropped. */
  readonly maxQueuedBroadcasts: number;
  /** Indirect probes relayed for others at once; more requests are ignored. */
  readonly maxPendingRelays: number;
  /** Outputs held between drain() calls at most, per kind; beyond it they are dropped. */
  readonly maxPendingOutputs: number;
}

/** memberlist's DefaultLANConfig. */
export const defaultLANConfig: GossipConfig = {
  protocolVersion: 2,
  delegateProtocolMin: 0,
  delegateProtocolMax: 0,
  delegateProtocolVersion: 0,
  probeIntervalMs: 1000,
  probeTimeoutMs: 500,
  indirectChecks: 3,
  suspicionMult: 4,
  suspicionMaxTimeoutMult: 6,
  retransmitMult: 4,
  gossipIntervalMs: 200,
  gossipNodes: 3,
  gossipToTheDeadTimeMs: 30_000,
  pushPullIntervalMs: 30_000,
  awarenessMaxMultiplier: 8,
  deadNodeReclaimTimeMs: 0,
  udpBufferSize: 1400,
  tcpTimeoutMs: 10_000,
  disableTcpPings: false,
  maxQueuedBroadcasts: 16_384,
  maxPendingRelays: 1024,
  maxPendingOutputs: 65_536,
};

/** memberlist's DefaultWANConfig. */
export const defaultWANConfig: GossipConfig = {
  ...defaultLANConfig,
  tcpTimeoutMs: 30_000,
  suspicionMult: 6,
  pushPullIntervalMs: 60_000,
  probeTimeoutMs: 3000,
  probeIntervalMs: 5000,
  gossipNodes: 4,
  gossipIntervalMs: 500,
  gossipToTheDeadTimeMs: 60_000,
};

/** memberlist's DefaultLocalConfig (loopback / same host). */
export const defaultLocalConfig: GossipConfig = {
  ...defaultLANConfig,
  tcpTimeoutMs: 1000,
  indirectChecks: 1,
  retransmitMult: 2,
  suspicionMult: 3,
  pushPullIntervalMs: 15_000,
  probeTimeoutMs: 200,
  probeIntervalMs: 1000,
  gossipIntervalMs: 100,
  gossipToTheDeadTimeMs: 15_000,
};

const positive = [
  'probeIntervalMs',
  'probeTimeoutMs',
  'suspicionMult',
  'suspicionMaxTimeoutMult',
  'retransmitMult',
  'gossipIntervalMs',
  'awarenessMaxMultiplier',
  'udpBufferSize',
  'tcpTimeoutMs',
  'maxQueuedBroadcasts',
  'maxPendingRelays',
  'maxPendingOutputs',
] as const;

const nonNegative = [
  'indirectChecks',
  'gossipNodes',
  'gossipToTheDeadTimeMs',
  'pushPullIntervalMs',
  'deadNodeReclaimTimeMs',
  'delegateProtocolMin',
  'delegateProtocolMax',
  'delegateProtocolVersion',
] as const;

export function validateConfig(c: GossipConfig): void {
  for (const key of positive) {
    const v = c[key];
    if (!Number.isInteger(v) || v <= 0) {
      throw new RangeError(`gossip config ${key}: must be a positive integer, got ${v}`);
    }
  }
  for (const key of nonNegative) {
    const v = c[key];
    if (!Number.isInteger(v) || v < 0) {
      throw new RangeError(`gossip config ${key}: must be a non-negative integer, got ${v}`);
    }
  }
  if (c.protocolVersion < 2 || c.protocolVersion > protocolVersionMax) {
    throw new RangeError(`gossip config protocolVersion: must be 2..5, got ${c.protocolVersion}`);
  }
  if (c.probeTimeoutMs > c.probeIntervalMs) {
    throw new RangeError('gossip config probeTimeoutMs: must not exceed probeIntervalMs');
  }
}

/** The Vsn array a node advertises: [pmin, pmax, pcur, dmin, dmax, dcur]. */
export function buildVsn(c: GossipConfig): readonly number[] {
  return [
    protocolVersionMin,
    protocolVersionMax,
    c.protocolVersion,
    c.delegateProtocolMin,
    c.delegateProtocolMax,
    c.delegateProtocolVersion,
  ];
}
