// The durable side of a core: what Ready values asked to persist, read back on restart.
// Implementations: MemoryStorage here; the lmdb one lives in storage/.
import type { Entry, HardState, InitialState, Snapshot } from './types.ts';

export interface RaftStorage {
  /** Everything a restarting core needs. */
  initialState(): InitialState;
  /** Truncate the stored log from entries[0].index, then append. */
  append(entries: readonly Entry[]): void;
  setHardState(state: HardState): void;
  /** Store a snapshot; if `discardLog`, drop every entry (received from a leader). */
  saveSnapshot(snapshot: Snapshot, discardLog: boolean): void;
  /** Drop entries with index <= `index` (covered by a saved snapshot). */
  compact(index: number): void;
}

/**
 * Synchronous reads of entries already on disk. A core given one keeps only recent entries in
 * memory (RaftNode.setLogReader) and reads older ones, for a follower that lags, from here.
 */
export interface LogReader {
  /** The stored entry at `index`, or undefined when there is none. */
  entry(index: number): Entry | undefined;
}
