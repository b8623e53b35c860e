// The core's output. The driver handles one Ready atomically, in this order:
//  1. persist `snapshot` (if any; it replaces the log up to its index), then `entries`
//     (truncating the stored log from entries[0].index first), then `hardState`;
//  2. send `messages` (only after step 1: votes and acks promise what is on disk), except that
//     when `sendBeforePersist` is set they may go out before or while step 1 runs;
//  3. restore the state machine from `snapshot` (if any), apply `committed` in order,
//     serve `readStates` once applied >= their index, fail `droppedReads`;
//  4. call advance().
import type { Message } from './messages.ts';
import type { Entry, HardState, ReadState, Snapshot, SoftState } from './types.ts';

export interface Ready {
  /** Present when leader or role changed since the last Ready. */
  readonly softState: SoftState | null;
  /** Present when term, vote or commit changed since the last Ready. */
  readonly hardState: HardState | null;
  readonly entries: readonly Entry[];
  /** A snapshot received from the leader, to persist and restore. */
  readonly snapshot: Snapshot | null;
  readonly committed: readonly Entry[];
  /**
   * Entries up to this index were on this node's disk when the Ready was made: committed ones
   * among them may be applied while the Ready is written; the rest only after it.
   */
  readonly stableIndex: number;
  readonly messages: readonly Message[];
  /**
   * Every message may be sent before (or while) this Ready is persisted: they are a leader's,
   * and its term and vote are already durable (thesis §10.2.1). The leader's own entries count
   * towards commitment only once persisted (advance()), so sending early promises nothing.
   */
  readonly sendBeforePersist?: boolean;
  readonly readStates: readonly ReadState[];
  /** Contexts of read requests that could not be served (lost leadership, no leader). */
  readonly droppedReads: readonly string[];
}

export type { Snapshot };

/** What a storage makes durable: a Ready's, or the entries of a leader's early write. */
export type RaftWrite = Pick<Ready, 'snapshot' | 'entries' | 'hardState'>;

/**
 * A leader's output while its Ready is being written (RaftNode.earlyReady): messages to send
 * now; entries to write after the Ready in flight and every earlier write (then report them
 * with RaftNode.entriesStable); and committed entries, durable here, to apply now, in order,
 * after the Ready's own committed entries that were already applied.
 */
export interface EarlyReady {
  readonly messages: readonly Message[];
  readonly entries: readonly Entry[];
  readonly committed: readonly Entry[];
}
