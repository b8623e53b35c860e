// Configuration of one Raft core. Limits are named options, never literals in the algorithm.
import type { NodeId } from './types.ts';

/** Injected randomness, so a seed replays a run exactly. */
export interface Random {
  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
}

export interface RaftOptions {
  readonly id: NodeId;
  /** Ticks without hearing from a leader before campaigning; randomized in [n, 2n). */
  readonly electionTicks: number;
  /** Ticks between a leader's heartbeats; must be smaller than electionTicks. */
  readonly heartbeatTicks: number;
  /** Run a pre-vote round before bumping the term (thesis §9.6). */
  readonly preVote: boolean;
  /** A leader that has not heard from a quorum within an election timeout steps down. */
  readonly checkQuorum: boolean;
  /** Entries in one AppendEntries message. */
  readonly maxEntriesPerMsg: number;
  /** Payload bytes in one AppendEntries message (at least one entry is always sent). */
  readonly maxBytesPerMsg: number;
  /** AppendEntries messages in flight to one follower in replicate state. */
  readonly maxInflightMsgs: number;
  /** Payload bytes in flight to one follower. */
  readonly maxInflightBytes: number;
  /** Bytes of payload a leader holds uncommitted before it drops proposals. */
  readonly maxUncommittedBytes: number;
  /** Bytes of snapshot data in one InstallSnapshot chunk. */
  readonly snapshotChunkBytes: number;
  readonly random: Random;
}

export const defaultRaftOptions = {
  electionTicks: 10,
  heartbeatTicks: 1,
  preVote: true,
  checkQuorum: true,
  maxEntriesPerMsg: 512,
  maxBytesPerMsg: 1024 * 1024,
  maxInflightMsgs: 256,
  maxInflightBytes: 32 * 1024 * 1024,
  maxUncommittedBytes: 64 * 1024 * 1024,
  snapshotChunkBytes: 512 * 1024,
} as const satisfies Omit<RaftOptions, 'id' | 'random'>;

export function validateOptions(o: RaftOptions): void {
  const positive = [
    'electionTicks',
    'heartbeatTicks',
    'maxEntriesPerMsg',
    'maxBytesPerMsg',
    'maxInflightMsgs',
    'maxInflightBytes',
    'maxUncommittedBytes',
    'snapshotChunkBytes',
  ] as const;
  for (const key of positive) {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      throw new RangeError(`raft option ${key}: must be a positive integer, got ${v}`);
    }
  }
  if (o.heartbeatTicks >= o.electionTicks) {
    throw new RangeError('raft option heartbeatTicks: must be smaller than electionTicks');
  }
  if (o.id.length === 0) throw new RangeError('raft option id: must not be empty');
}
