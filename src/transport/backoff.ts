// Reconnect delays: exponential from minMs, capped at maxMs, with "equal jitter" (a random
// point in the upper half) so peers that lost a node together do not redial in lockstep.
import type { Random } from '../raft/options.ts';

export interface BackoffPolicy {
  readonly minMs: number;
  readonly maxMs: number;
  readonly random: Random;
}

/** Delay before dial attempt number `attempt` (0 = first retry). Always within [min/2, max]. */
export function backoffDelay(policy: BackoffPolicy, attempt: number): number {
  const exp = Math.min(attempt, 30); // 2^30 × min already exceeds any sane max
  const base = Math.min(policy.maxMs, policy.minMs * 2 ** exp);
  const half = Math.floor(base / 2);
  return base - half + policy.random.int(half + 1);
}

export const mathRandom: Random = {
  int: (maxExclusive) => Math.floor(Math.random() * maxExclusive),
};
