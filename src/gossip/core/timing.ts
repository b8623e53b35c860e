// The scaling formulas memberlist uses, as pure functions of the cluster size (all in ms).

/** Minimum suspicion timeout: mult * max(1, log10 n) * probe interval, n clamped to >= 1. */
export function suspicionTimeoutMs(
  suspicionMult: number,
  n: number,
  probeIntervalMs: number,
): number {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, n)));
  // memberlist truncates the scale to thousandths before multiplying.
  return Math.floor((suspicionMult * Math.floor(nodeScale * 1000) * probeIntervalMs) / 1000);
}

/**
 * Total suspicion timeout after `n` of `k` wanted independent confirmations: starts at max and
 * falls towards min as log(n + 1) / log(k + 1) (Lifeguard's log-scaled acceleration), whole ms.
 */
export function suspicionTotalMs(n: number, k: number, minMs: number, maxMs: number): number {
  const frac = Math.log(n + 1) / Math.log(k + 1);
  const raw = Math.floor(maxMs - frac * (maxMs - minMs));
  return Math.max(minMs, raw);
}

/** Times each broadcast is sent: mult * ceil(log10(n + 1)). */
export function retransmitLimit(retransmitMult: number, n: number): number {
  return retransmitMult * Math.ceil(Math.log10(n + 1));
}

/** Clusters above this size stretch the push/pull interval. */
export const pushPullScaleThreshold = 32;

/** The push/pull interval grows by one multiple per doubling of n beyond the threshold. */
export function pushPullScaleMs(intervalMs: number, n: number): number {
  if (n <= pushPullScaleThreshold) return intervalMs;
  const multiplier = Math.ceil(Math.log2(n) - Math.log2(pushPullScaleThreshold)) + 1;
  return multiplier * intervalMs;
}
