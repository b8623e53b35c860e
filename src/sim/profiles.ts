// Fault kinds and the profiles that mix them. Each run picks a profile from its seed, so the
// seeds cover calm and violent runs, crash-heavy and partition-heavy ones, and one tuned to
// produce the leader churn of the Raft paper's Figure 8.

export const faultKinds = [
  'crash',
  'crashLeader',
  'crashMany',
  'partition',
  'leaderMinority',
  'asymmetric',
  'isolate',
  'loss',
  'duplicate',
  'slowNet',
  'slowNode',
  'membership',
  'transfer',
  'snapshot',
  'campaign',
  'tornCrash',
] as const;

export type FaultKind = (typeof faultKinds)[number];
export type FaultWeights = Readonly<Record<FaultKind, number>>;

const none: FaultWeights = Object.fromEntries(faultKinds.map((k) => [k, 0])) as Record<
  FaultKind,
  number
>;

export interface Profile {
  readonly weights: FaultWeights;
  /**
   * Probability that a freshly elected leader is crashed or cut off moments later, before it
   * has replicated much: what leaves logs diverging across terms (Raft paper, Figure 8).
   */
  readonly newLeaderFault: number;
  /**
   * Probability that a leader loses power the moment it advances its commit index, before
   * anyone hears of the commit: the next leader must still hold every committed entry.
   */
  readonly commitCrash: number;
  /** Overrides of the seed-picked fault pacing. */
  readonly meanGapMs?: number;
  readonly maxDurationMs?: number;
  /** Raft tuning this profile needs (e.g. slow catch-up, so leaders die mid-way). */
  readonly raft?: {
    readonly maxEntriesPerMsg?: number;
    readonly maxInflightMsgs?: number;
    readonly preVote?: boolean;
    readonly checkQuorum?: boolean;
  };
}

const all = (w: number): Record<FaultKind, number> =>
  Object.fromEntries(faultKinds.map((k) => [k, w])) as Record<FaultKind, number>;

/** Fault mixes; each run picks one. */
export const profiles: Readonly<Record<string, Profile>> = {
  mixed: { weights: all(1), newLeaderFault: 0.1, commitCrash: 0.02 },
  crashes: {
    weights: {
      ...none,
      crash: 3,
      crashLeader: 4,
      crashMany: 2,
      tornCrash: 2,
      campaign: 1,
      snapshot: 1,
    },
    newLeaderFault: 0.1,
    commitCrash: 0.05,
  },
  partitions: {
    weights: {
      ...none,
      partition: 3,
      leaderMinority: 4,
      asymmetric: 2,
      isolate: 2,
      crashLeader: 1,
    },
    newLeaderFault: 0.05,
    commitCrash: 0.01,
  },
  elections: {
    weights: { ...none, crashLeader: 3, leaderMinority: 3, campaign: 3, transfer: 2, loss: 1 },
    newLeaderFault: 0.3,
    commitCrash: 0.05,
  },
  network: {
    weights: { ...none, loss: 3, duplicate: 3, slowNet: 3, slowNode: 2, asymmetric: 1 },
    newLeaderFault: 0,
    commitCrash: 0,
  },
  membership: {
    weights: { ...none, membership: 5, transfer: 2, crash: 2, crashLeader: 1, snapshot: 1 },
    newLeaderFault: 0,
    commitCrash: 0.01,
  },
  figure8: {
    meanGapMs: 80,
    maxDurationMs: 250,
    weights: { ...none, crashLeader: 2, leaderMinority: 2, crashMany: 1, campaign: 1, loss: 1 },
    newLeaderFault: 0.8,
    commitCrash: 0.6,
    raft: { maxEntriesPerMsg: 1, maxInflightMsgs: 1, preVote: false, checkQuorum: false },
  },
};
