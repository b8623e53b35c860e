// The storage a node process runs its Raft core on: everything a Ready asks to persist, made
// durable before the driver sends messages (votes and acks promise what is on disk), and read
// back, verified, at start-up. Two implementations: LmdbStorage (DATA_DIR on disk) and
// MemoryDurableStorage (the core's MemoryStorage behind the same asynchronous interface).
import {
  MemoryStorage,
  RaftInvariantError,
  type Entry,
  type InitialState,
  type RaftWrite,
  type Snapshot,
} from '../raft/index.ts';
import { StorageError } from './errors.ts';
import type { SnapshotFile } from './snapshot-store.ts';

/** What storage logs: structurally a subset of pino's Logger. */
export interface StorageLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface DurableRaftStorage {
  /**
   * Reads and verifies the durable state; call before anything else (again after writes
   * have settled, to re-read). Rejects with a
   * StorageCorruptError when the node must not start (the message names the fault).
   * `entries` are the ones after the snapshot, contiguous.
   */
  load(): Promise<InitialState>;
  /**
   * Persists, in this order and atomically where the medium allows: the snapshot received
   * from a leader (it replaces the whole log), the entries (truncating the stored log from
   * entries[0].index first), the hard state. Resolves only once all of it is durable.
   * Concurrent calls take effect in call order and share disk flushes (group commit).
   */
  persist(rd: RaftWrite): Promise<void>;
  /** Stores a snapshot this node took of its own state machine; the log is kept. */
  saveSnapshot(snapshot: Snapshot): Promise<void>;
  /**
   * Drops entries up to `index`, which a saved snapshot covers. Implementations may keep more:
   * LmdbStorage keeps the log back to the previous snapshot, so start-up can fall back to it.
   */
  compact(index: number): Promise<void>;
  /** Snapshots kept, newest first (operators: `--trigger-snapshot` prints them). */
  listSnapshots(): Promise<readonly SnapshotFile[]>;
  /**
   * The stored entry at `index`, read synchronously (LogReader: the core reads entries it no
   * longer keeps in memory); undefined when there is none.
   */
  entry(index: number): Entry | undefined;
  /** Index of the first stored entry, or the slot after the snapshot when the log is empty. */
  firstIndex(): number;
  /** Index of the last stored entry, or the snapshot's when the log is empty. */
  lastIndex(): number;
  /** Waits for pending writes; every later call fails with STORAGE_CLOSED. */
  close(): Promise<void>;
}

/** Entries after the snapshot: what InitialState promises and what the core keeps. */
export function afterSnapshot(state: InitialState): InitialState {
  const snapIndex = state.snapshot?.meta.index ?? 0;
  return { ...state, entries: state.entries.filter((e) => e.index > snapIndex) };
}

/**
 * MemoryStorage behind the durable interface, for tests and the in-process demo. The wrapped
 * MemoryStorage is the "disk": a new adapter over the same one is a restart.
 */
export class MemoryDurableStorage implements DurableRaftStorage {
  readonly disk: MemoryStorage;
  private closed = false;

  constructor(disk: MemoryStorage = new MemoryStorage()) {
    this.disk = disk;
  }

  load(): Promise<InitialState> {
    return this.run(() => afterSnapshot(this.disk.initialState()));
  }

  persist(rd: RaftWrite): Promise<void> {
    return this.run(() => {
      if (rd.snapshot !== null) this.disk.saveSnapshot(rd.snapshot, true);
      this.disk.append(rd.entries);
      if (rd.hardState !== null) this.disk.setHardState(rd.hardState);
    });
  }

  saveSnapshot(snapshot: Snapshot): Promise<void> {
    return this.run(() => this.disk.saveSnapshot(snapshot, false));
  }

  compact(index: number): Promise<void> {
    return this.run(() => {
      const snapIndex = this.disk.storedSnapshot()?.meta.index ?? 0;
      if (index > snapIndex)
        throw new RaftInvariantError(`compact ${index} beyond the snapshot at ${snapIndex}`);
      this.disk.compact(index);
    });
  }

  listSnapshots(): Promise<readonly SnapshotFile[]> {
    return this.run(() => {
      const meta = this.disk.storedSnapshot()?.meta;
      return meta === undefined ? [] : [{ index: meta.index, term: meta.term, path: '(memory)' }];
    });
  }

  entry(index: number): Entry | undefined {
    return this.closed ? undefined : this.disk.entry(index);
  }

  firstIndex(): number {
    return this.disk.firstIndex();
  }

  lastIndex(): number {
    return this.disk.lastIndex();
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  /** Runs a synchronous step, turning a throw into a rejection like the lmdb implementation. */
  private run<T>(step: () => T): Promise<T> {
    try {
      if (this.closed) throw new StorageError('STORAGE_CLOSED', '(memory)', 'storage is closed');
      return Promise.resolve(step());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
