// Autopilot's data types: what the leader loop observes and what the planner may ask for.
// Everything is plain data and time is a number the caller passes in (monotonic ms), so the
// planner is deterministic and runs unchanged in the simulator.

/** Tunables; `validateAutopilotConfig` checks them. */
export interface AutopilotConfig {
  /** `--voters`: how many voters autopilot keeps; odd, >= 1. */
  readonly targetVoters: number;
  /** A learner must be healthy this long before it is promoted (Consul: 10 s). */
  readonly stabilizationMs: number;
  /** Promotion only if match >= lastIndex - this (Consul: 250). */
  readonly maxTrailingLogs: number;
  /** Gossip must report a voter failed (or unknown and unreachable) this long before removal. */
  readonly failedGraceMs: number;
  /** A failed, left or unknown learner is removed after this long. */
  readonly reapMs: number;
  /**
   * A member removed while Raft could not reach it is not added back while gossip merely still
   * calls it alive (failure detection lags): only once its gossip incarnation changed (a restart
   * refutes with a higher one), or gossip saw it failed, left or absent and then alive again, or
   * this long after the removal. Default (unset): `defaultRejoinCooldownMs(reapMs)`.
   */
  readonly rejoinCooldownMs?: number;
}

/** max(reapMs / 2, 30 s): longer than memberlist takes to declare a dead member failed. */
export function defaultRejoinCooldownMs(reapMs: number): number {
  return Math.max(reapMs / 2, 30_000);
}

export function rejoinCooldownOf(c: AutopilotConfig): number {
  return c.rejoinCooldownMs ?? defaultRejoinCooldownMs(c.reapMs);
}

export const defaultAutopilotConfig: AutopilotConfig = {
  targetVoters: 3,
  stabilizationMs: 10_000,
  maxTrailingLogs: 250,
  failedGraceMs: 5_000,
  reapMs: 60_000,
};

export type GossipState = 'alive' | 'suspect' | 'failed' | 'left' | 'unknown';

/** One Sappers agent seen by gossip, or known only from the Raft configuration. */
export interface AutopilotMember {
  readonly id: string;
  /** Raft transport address from gossip metadata; null if it has not advertised one. */
  readonly raftAddr: string | null;
  /** 'unknown' = in the Raft configuration but absent from gossip. */
  readonly gossip: GossipState;
  /** When this gossip state began (same monotonic clock as `nowMs`). */
  readonly gossipSinceMs: number;
  readonly tags: readonly string[];
  readonly cpuFreeMilli: number;
  readonly memFreeBytes: number;
  /** From its gossip metadata; null if it has not joined a cluster yet. */
  readonly clusterId: string | null;
  /** Its gossip incarnation (only it raises it; a restart refutes with a higher one); null if unknown. */
  readonly incarnation: number | null;
}

/** What the leader sees at one instant. */
export interface AutopilotObservation {
  readonly nowMs: number;
  /** The leader running autopilot. */
  readonly selfId: string;
  /** Our cluster id; members advertising a different one are never added. */
  readonly clusterId: string | null;
  readonly voters: readonly string[];
  readonly learners: readonly string[];
  /** `RaftStatus.progress[id].match` for every member. */
  readonly match: Readonly<Record<string, number>>;
  /** `RaftStatus.lastIndex` of the leader. */
  readonly lastIndex: number;
  /**
   * The peer answered this leader in its term and within an election timeout
   * (`answeredLeader(RaftStatus.progress[id])`; not recentActive alone, which a new leader sets
   * for every peer). Missing means false. The leader itself need not be listed.
   */
  readonly active: Readonly<Record<string, boolean>>;
  /** True while a conf change is appended but not committed (`RaftNode` allows only one). */
  readonly pendingConfChange: boolean;
  /** Every Sappers gossip member, plus every config member absent from gossip as 'unknown'. */
  readonly members: readonly AutopilotMember[];
  readonly config: AutopilotConfig;
}

/**
 * The observation plus the health history the caller (or `Autopilot`) keeps; `nextHealth`
 * computes it. Every member is in exactly one of the two maps.
 */
export interface AutopilotInput extends AutopilotObservation {
  /** Since when each currently healthy member has been healthy without interruption. */
  readonly healthySinceMs: Readonly<Record<string, number>>;
  /** Since when each currently unhealthy member has been unhealthy without interruption. */
  readonly unhealthySinceMs: Readonly<Record<string, number>>;
  /** Members removed while unreachable, not to be added back without a sign of life. */
  readonly removed: Readonly<Record<string, RemovedMember>>;
}

/** What autopilot remembers of a member it removed while Raft could not reach it. */
export interface RemovedMember {
  readonly removedAtMs: number;
  /** Its gossip incarnation when removed; null if unknown. */
  readonly incarnation: number | null;
  /** Gossip has called it failed, left or unknown since (or at) the removal. */
  readonly seenGone: boolean;
}

/**
 * One membership change. The Raft core has no demote: an extra voter is removed, and comes back
 * as a learner through the addLearner rule if it is still alive.
 * Map to `ConfChange`: addLearner -> {type:'addLearner', node:id, address:raftAddr},
 * promote -> {type:'promote', node:id}, remove -> {type:'remove', node:id}.
 */
export type AutopilotAction =
  | {
      readonly type: 'addLearner';
      readonly id: string;
      readonly raftAddr: string;
      readonly reason: string;
    }
  | { readonly type: 'promote'; readonly id: string; readonly reason: string }
  | { readonly type: 'remove'; readonly id: string; readonly reason: string };

/** Throws an Error naming the field if `c` is unusable. */
export function validateAutopilotConfig(c: AutopilotConfig): void {
  const t = c.targetVoters;
  if (!Number.isInteger(t) || t < 1 || t % 2 === 0) {
    throw new Error(`targetVoters (--voters) must be an odd integer >= 1, got ${String(t)}`);
  }
  const durations: [string, number][] = [
    ['stabilizationMs', c.stabilizationMs],
    ['maxTrailingLogs', c.maxTrailingLogs],
    ['failedGraceMs', c.failedGraceMs],
    ['reapMs', c.reapMs],
  ];
  if (c.rejoinCooldownMs !== undefined) durations.push(['rejoinCooldownMs', c.rejoinCooldownMs]);
  for (const [name, v] of durations) {
    if (!Number.isFinite(v) || v < 0) {
      throw new Error(`${name} must be a finite number >= 0, got ${String(v)}`);
    }
  }
}
