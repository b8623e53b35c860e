// Durable Raft storage in DATA_DIR: log, hard state and meta in lmdb (DATA_DIR/raft.lmdb),
// snapshots as files (DATA_DIR/snapshots/, see snapshot-store.ts).
//
// Durability: lmdb-js runs with its defaults (sync on, overlappingSync on Linux). There, the
// promise of a write resolves when its transaction is committed (visible), and `db.flushed`
// when it has been fdatasync'ed; persist awaits both, so nothing is acknowledged, voted or
// reported as matched before it is on disk.
// Group commit: every write is queued with lmdb's batch(); lmdb puts all writes queued in one
// event turn (and those queued while the writer thread is busy) into one transaction and one
// fdatasync, so concurrent persist calls share a disk flush without any timer of ours.
// Ordering: calls pass through a FIFO gate that only covers queueing, not the commit, so later
// calls never overtake earlier ones yet still batch. A snapshot this node takes of itself is
// written to its file outside that gate (log writes go on meanwhile), one file at a time.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { open } from 'lmdb';
import {
  RaftInvariantError,
  type Config,
  type Entry,
  type InitialState,
  type RaftWrite,
  type Snapshot,
} from '../raft/index.ts';
import { decodeEntry, encodeEntry, seal } from './codec.ts';
import type { DurableRaftStorage, StorageLogger } from './durable.ts';
import { StorageError } from './errors.ts';
import { claimDataDir, loadState, type LmdbHandles } from './lmdb-load.ts';
import { SnapshotStore, type SnapshotFile } from './snapshot-store.ts';

/** Log keys removed per compaction transaction (see compact()). */
const compactChunkEntries = 2048;

export interface LmdbStorageOptions {
  readonly dataDir: string;
  readonly nodeId: string;
  /** Recorded when DATA_DIR is first used; later values are ignored (the stored one wins). */
  readonly bootstrapConfig?: Config;
  readonly logger: StorageLogger;
}

/** Where the log currently is: lets persist validate and plan without reading lmdb. */
interface Shape {
  readonly low: number | null;
  readonly high: number | null;
  readonly snapIndex: number;
  readonly logBase: number;
}

/** What a stage leaves behind: the next shape, and the lmdb write it queued (if any). */
interface Staged {
  readonly next: Shape;
  readonly wrote: Promise<unknown> | null;
}

export class LmdbStorage implements DurableRaftStorage {
  private readonly io: LmdbHandles;
  private readonly snapshots: SnapshotStore;
  private shape: Shape | null = null;
  private retained: readonly SnapshotFile[] = [];
  /** Settles when the last call's stage has run (its write is queued, not yet durable). */
  private gate: Promise<unknown> = Promise.resolve();
  /** Settles when the last call has finished, durably or not. */
  private settled: Promise<unknown> = Promise.resolve();
  private failure: Error | null = null;
  private closed = false;
  /** Settles when the last snapshot file write has finished: one file is written at a time. */
  private snapshotFiles: Promise<unknown> = Promise.resolve();

  private constructor(io: LmdbHandles, snapshots: SnapshotStore) {
    this.io = io;
    this.snapshots = snapshots;
  }

  /** Opens DATA_DIR, claiming it for `nodeId`; call load() next. */
  static async open(opts: LmdbStorageOptions): Promise<LmdbStorage> {
    const { dataDir, logger } = opts;
    await mkdir(dataDir, { recursive: true });
    const root = open<Buffer, string>({ path: join(dataDir, 'raft.lmdb'), encoding: 'binary' });
    const log = root.openDB<Buffer, number>({ name: 'log', encoding: 'binary' });
    const meta = root.openDB<Buffer, string>({ name: 'meta', encoding: 'binary' });
    const io: LmdbHandles = { root, log, meta, dataDir, logger };
    try {
      await claimDataDir(io, opts.nodeId, opts.bootstrapConfig);
      const snapshots = await SnapshotStore.open(join(dataDir, 'snapshots'), logger);
      return new LmdbStorage(io, snapshots);
    } catch (err) {
      await root.close();
      throw err;
    }
  }

  async load(): Promise<InitialState> {
    if (this.closed) throw this.closedError();
    await this.gate;
    await this.settled;
    const loaded = await loadState(this.io, this.snapshots);
    const snapIndex = loaded.initial.snapshot?.meta.index ?? 0;
    this.shape = { low: loaded.low, high: loaded.high, snapIndex, logBase: loaded.logBase };
    this.retained = loaded.retained;
    return loaded.initial;
  }

  persist(rd: RaftWrite): Promise<void> {
    return this.enqueue(async (shape) => {
      const next = planPersist(shape, rd);
      const { snapshot, entries, hardState } = rd;
      if (snapshot === null && entries.length === 0 && hardState === null)
        return { next, wrote: null };
      // The file first: if the discard below never commits, start-up still finds the snapshot.
      if (snapshot !== null) this.retained = await this.writeSnapshotFile(snapshot);
      const wrote = this.io.root.batch(() => {
        const base = snapshot === null ? shape : this.discardLog(shape, snapshot.meta.index);
        this.writeEntries(base, entries);
        if (hardState !== null) void this.io.meta.put('hardState', seal(hardState));
      });
      return { next, wrote };
    });
  }

  /**
   * The file is written (and fsynced) while log writes go on; only then does the shape learn
   * of it, in call order with the log writes. The log itself is untouched.
   */
  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    if (this.closed) throw this.closedError();
    this.usable();
    checkSnapshot(this.loaded(), snapshot);
    let retained: readonly SnapshotFile[];
    try {
      retained = await this.writeSnapshotFile(snapshot);
    } catch (err) {
      this.failure ??= asError(err);
      throw err;
    }
    return this.enqueue((shape) => {
      checkSnapshot(shape, snapshot);
      this.retained = retained;
      return { next: { ...shape, snapIndex: snapshot.meta.index }, wrote: null };
    });
  }

  /**
   * Removes log entries up to `index` (at most: the entries after the previous snapshot stay).
   * The removal runs in chunks of `compactChunkEntries` keys, each its own transaction that
   * waits for the one before to be on disk, so log writes in between never share a transaction
   * with tens of thousands of deletes (one such transaction held every write behind it for
   * tens of milliseconds). Each chunk moves `logBase` with it: a crash between chunks leaves
   * a shorter but consistent compaction.
   */
  async compact(index: number): Promise<void> {
    for (;;) {
      let more = false;
      await this.enqueue((shape) => {
        if (index > shape.snapIndex)
          throw new RaftInvariantError(
            `compact ${index} beyond the snapshot at ${shape.snapIndex}`,
          );
        // Keep the log back to the previous snapshot: start-up falls back to it if the newest
        // snapshot file turns out damaged, and needs every entry after it.
        const target = Math.min(index, this.retained[1]?.index ?? 0);
        if (target <= shape.logBase) return { next: shape, wrote: null };
        const from = shape.low ?? target + 1;
        const upTo = Math.min(target, from + compactChunkEntries - 1);
        more = upTo < target;
        const wrote = this.io.root.batch(() => {
          removeRange(this.io.log, shape.low, Math.min(upTo, shape.high ?? upTo));
          void this.io.meta.put('logBase', seal(upTo));
        });
        const empty = shape.high === null || shape.high <= upTo;
        const low = empty ? null : Math.max(upTo + 1, shape.low ?? upTo + 1);
        return { next: { ...shape, low, high: empty ? null : shape.high, logBase: upTo }, wrote };
      });
      if (!more || this.closed) return;
    }
  }

  entry(index: number): Entry | undefined {
    if (this.closed) return undefined;
    let raw = this.io.log.getBinary(index);
    if (raw === undefined) {
      // A read snapshot older than the last commit would miss it: read again from a fresh one.
      this.io.root.resetReadTxn();
      raw = this.io.log.getBinary(index);
    }
    return raw === undefined ? undefined : decodeEntry(raw);
  }

  firstIndex(): number {
    const s = this.loaded();
    return s.low ?? s.snapIndex + 1;
  }

  lastIndex(): number {
    const s = this.loaded();
    return Math.max(s.high ?? 0, s.snapIndex);
  }

  listSnapshots(): Promise<readonly SnapshotFile[]> {
    return this.snapshots.list();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.snapshotFiles;
    await this.gate;
    await this.settled;
    await this.io.root.close();
  }

  private writeSnapshotFile(snapshot: Snapshot): Promise<SnapshotFile[]> {
    const written = this.snapshotFiles.then(() => this.snapshots.write(snapshot));
    this.snapshotFiles = written.catch(() => undefined);
    return written;
  }

  private loaded(): Shape {
    if (this.shape === null) throw new Error('LmdbStorage: call load() first');
    return this.shape;
  }

  private closedError(): StorageError {
    return new StorageError('STORAGE_CLOSED', this.io.dataDir, 'storage is closed');
  }

  private usable(): void {
    if (this.failure !== null)
      throw new StorageError('STORAGE_FAILED', this.io.dataDir, 'an earlier write failed', {
        cause: this.failure,
      });
  }

  /**
   * Runs `stage` after every earlier call's stage (FIFO: writes are queued in call order) and
   * resolves once its write is committed and flushed and every earlier call has finished.
   * Stages validate before any side effect: an invariant error fails only that call; any
   * other failure poisons the storage, as the disk state is then unknown (fail-stop).
   */
  private enqueue(stage: (shape: Shape) => Promise<Staged> | Staged): Promise<void> {
    if (this.closed) return Promise.reject(this.closedError());
    const staged = this.gate.then(async () => {
      this.usable();
      try {
        const { next, wrote } = await stage(this.loaded());
        this.shape = next;
        return { durable: wrote === null ? null : this.whenDurable(wrote) };
      } catch (err) {
        if (!(err instanceof RaftInvariantError)) this.failure ??= asError(err);
        throw err;
      }
    });
    this.gate = staged.catch(() => undefined);
    const previous = this.settled;
    const result = staged.then(async ({ durable }) => {
      await durable;
      await previous;
    });
    this.settled = result.catch(() => undefined);
    return result;
  }

  /**
   * Commit, then fdatasync. `flushed` is taken right after queueing, so it is the flush of this
   * write's transaction (a later transaction's could hang if that one failed).
   */
  private whenDurable(wrote: Promise<unknown>): Promise<void> {
    const flushed = this.io.root.flushed.then(() => undefined);
    return Promise.all([wrote, flushed]).then(
      () => undefined,
      (err: unknown) => {
        this.failure ??= asError(err);
        throw new StorageError('STORAGE_FAILED', this.io.dataDir, 'lmdb write failed', {
          cause: err,
        });
      },
    );
  }

  /** Queues removal of the whole log (a leader's snapshot replaces it); returns the shape after. */
  private discardLog(shape: Shape, snapIndex: number): Shape {
    removeRange(this.io.log, shape.low, shape.high);
    void this.io.meta.put('logBase', seal(snapIndex));
    return { low: null, high: null, snapIndex, logBase: snapIndex };
  }

  private writeEntries(shape: Shape, entries: readonly Entry[]): void {
    const last = entries.at(-1);
    if (last === undefined) return;
    // Keys up to `last` are overwritten; a longer old tail (a conflict) is removed.
    if (shape.high !== null && shape.high > last.index)
      removeRange(this.io.log, last.index + 1, shape.high);
    for (const e of entries) void this.io.log.put(e.index, encodeEntry(e));
  }
}

/** Opens DATA_DIR (same as LmdbStorage.open). */
export function openLmdbStorage(opts: LmdbStorageOptions): Promise<LmdbStorage> {
  return LmdbStorage.open(opts);
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function checkSnapshot(shape: Shape, snapshot: Snapshot): void {
  if (snapshot.meta.index < shape.snapIndex)
    throw new RaftInvariantError(
      `snapshot at ${snapshot.meta.index} older than the stored one at ${shape.snapIndex}`,
    );
}

/** Validates a persist against the current shape (as MemoryStorage does); returns the next. */
function planPersist(shape: Shape, rd: RaftWrite): Shape {
  let s = shape;
  if (rd.snapshot !== null) {
    checkSnapshot(s, rd.snapshot);
    const snapIndex = rd.snapshot.meta.index;
    s = { low: null, high: null, snapIndex, logBase: snapIndex };
  }
  const first = rd.entries[0];
  const last = rd.entries.at(-1);
  if (first === undefined || last === undefined) return s;
  const lowest = s.low ?? s.snapIndex + 1;
  const highest = Math.max(s.high ?? 0, s.snapIndex);
  if (first.index < lowest)
    throw new RaftInvariantError(`append at ${first.index} below first index ${lowest}`);
  if (first.index > highest + 1)
    throw new RaftInvariantError(`append at ${first.index} leaves a gap after ${highest}`);
  return { ...s, low: s.low ?? first.index, high: last.index };
}

function removeRange(log: LmdbHandles['log'], from: number | null, to: number | null): void {
  if (from === null || to === null) return;
  for (let k = from; k <= to; k++) void log.remove(k);
}
