// Start-up for LmdbStorage: claim DATA_DIR for a node id, then read hard state, snapshot and log,
// verify them, and repair what can be repaired without losing anything a leader may have counted:
//  - a damaged log record after the commit index: the tail from it is truncated (warn);
//  - a damaged record at or below the commit index, a hole, or a commit index beyond the log:
//    refuse to start (LOG_CORRUPT) — committed entries must never silently disappear;
//  - a damaged snapshot: fall back to the previous one if the log still covers everything after
//    it (the log is compacted only up to the previous snapshot for this reason); otherwise
//    refuse (SNAPSHOT_UNRECOVERABLE). With no valid snapshot the node starts from the log only
//    if the log was never compacted (it is complete from index 1).
import type { Database, RootDatabase } from 'lmdb';
import type { Config, Entry, HardState, InitialState, Snapshot } from '../raft/index.ts';
import { decodeEntry, seal, toConfig, toHardState, toIndex, toNodeId, unseal } from './codec.ts';
import type { StorageLogger } from './durable.ts';
import { RecordError, StorageCorruptError, StorageError, type StorageErrorCode } from './errors.ts';
import type { SnapshotFile, SnapshotStore } from './snapshot-store.ts';

export interface LmdbHandles {
  readonly root: RootDatabase<Buffer, string>;
  /** Log entries keyed by index (numbers, ordered-binary keys), values from codec.seal. */
  readonly log: Database<Buffer, number>;
  /** nodeId, bootstrap, hardState, logBase (entries up to it were compacted or discarded). */
  readonly meta: Database<Buffer, string>;
  readonly dataDir: string;
  readonly logger: StorageLogger;
}

export interface LoadedState {
  readonly initial: InitialState;
  readonly logBase: number;
  /** Lowest and highest stored log keys (null when the log is empty). */
  readonly low: number | null;
  readonly high: number | null;
  readonly retained: readonly SnapshotFile[];
}

const EMPTY_HARD_STATE: HardState = { term: 0, vote: null, commit: 0 };

/** Records the node id on first use; refuses a DATA_DIR that belongs to another node. */
export async function claimDataDir(io: LmdbHandles, nodeId: string, bootstrap?: Config) {
  const owner = readMeta(io, 'nodeId', toNodeId, 'META_CORRUPT');
  if (owner !== null && owner !== nodeId)
    throw new StorageError(
      'DATA_DIR_NODE_MISMATCH',
      io.dataDir,
      `DATA_DIR belongs to node "${owner}", refusing to start as node "${nodeId}"`,
    );
  if (owner !== null) return;
  if (io.meta.get('hardState') !== undefined || firstOf(io.log.getKeys({ limit: 1 })) !== null)
    throw new StorageCorruptError('META_CORRUPT', io.dataDir, 'node id record is missing', null);
  await io.meta.batch(() => {
    void io.meta.put('nodeId', seal(nodeId));
    if (bootstrap !== undefined) void io.meta.put('bootstrap', seal(bootstrap));
  });
  await io.root.flushed;
}

export async function loadState(io: LmdbHandles, snapshots: SnapshotStore): Promise<LoadedState> {
  const hardState = readMeta(io, 'hardState', toHardState, 'HARD_STATE_CORRUPT');
  const hs = hardState ?? EMPTY_HARD_STATE;
  const bootstrap = readMeta(io, 'bootstrap', toConfig, 'META_CORRUPT');
  let logBase = readMeta(io, 'logBase', (v) => toIndex(v, 'log base'), 'META_CORRUPT') ?? 0;
  const snapshot = await chooseSnapshot(io, snapshots, logBase);
  const snapIndex = snapshot?.meta.index ?? 0;
  if (snapshot !== null && !logMatches(io, snapshot))
    logBase = await discardDivergentLog(io, snapshot, hs);
  const entries = await readEntries(io, snapIndex, hs.commit);
  const last = entries.at(-1)?.index ?? snapIndex;
  if (hs.commit > last)
    throw new StorageCorruptError(
      'LOG_CORRUPT',
      io.dataDir,
      `commit index is ${hs.commit} but the log ends at ${last}: committed entries are missing`,
      last + 1,
    );
  const base = { hardState: hs, snapshot, entries };
  return {
    initial: bootstrap === null ? base : { ...base, bootstrapConfig: bootstrap },
    logBase,
    low: firstOf(io.log.getKeys({ limit: 1 })),
    high: firstOf(io.log.getKeys({ reverse: true, limit: 1 })),
    retained: await snapshots.list(),
  };
}

function readMeta<T>(
  io: LmdbHandles,
  key: string,
  convert: (v: unknown) => T,
  code: StorageErrorCode,
): T | null {
  const raw = io.meta.get(key);
  if (raw === undefined) return null;
  try {
    return convert(unseal(raw));
  } catch (err) {
    if (!(err instanceof RecordError)) throw err;
    throw new StorageCorruptError(code, io.dataDir, `${key} record: ${err.message}`, null);
  }
}

async function chooseSnapshot(
  io: LmdbHandles,
  snapshots: SnapshotStore,
  logBase: number,
): Promise<Snapshot | null> {
  const { snapshot, rejected } = await snapshots.loadNewestValid();
  const index = snapshot?.meta.index ?? 0;
  const reasons = rejected.map((r) => `${r.file.path}: ${r.reason}`);
  if (index < logBase) {
    const found = snapshot === null ? 'no valid snapshot' : `the newest valid one is at ${index}`;
    throw new StorageCorruptError(
      'SNAPSHOT_UNRECOVERABLE',
      io.dataDir,
      `the log is compacted through index ${logBase} but ${found}` +
        (reasons.length > 0 ? ` (rejected ${reasons.join('; ')})` : ''),
      logBase,
    );
  }
  if (rejected.length > 0)
    io.logger.warn(
      { index, rejected: reasons },
      snapshot === null
        ? 'no valid snapshot; starting from the complete log'
        : 'fell back to an older snapshot; the log covers everything after it',
    );
  return snapshot;
}

/**
 * Whether the stored entry at the snapshot's index agrees with it. It does not only when a
 * leader's snapshot file was written but the log discard that follows it did not commit.
 */
function logMatches(io: LmdbHandles, snapshot: Snapshot): boolean {
  const raw = io.log.get(snapshot.meta.index);
  if (raw === undefined) return true;
  try {
    return decodeEntry(raw).term === snapshot.meta.term;
  } catch (err) {
    // Unreadable below the snapshot: nothing to compare; the entries after it are verified.
    if (err instanceof RecordError) return true;
    throw err;
  }
}

async function discardDivergentLog(io: LmdbHandles, snapshot: Snapshot, hs: HardState) {
  const { index, term } = snapshot.meta;
  if (hs.commit > index)
    throw new StorageCorruptError(
      'LOG_CORRUPT',
      io.dataDir,
      `log entry ${index} disagrees with the snapshot (term ${term}) below the commit index ${hs.commit}`,
      index,
    );
  const keys = [...io.log.getKeys()];
  await io.meta.batch(() => {
    for (const k of keys) void io.log.remove(k);
    void io.meta.put('logBase', seal(index));
  });
  await io.root.flushed;
  io.logger.info({ index, dropped: keys.length }, 'discarded a log superseded by the snapshot');
  return index;
}

interface Scan {
  readonly entries: Entry[];
  readonly bad: { readonly index: number; readonly reason: string } | null;
}

function scanLog(log: Database<Buffer, number>, from: number): Scan {
  const entries: Entry[] = [];
  let expected = from;
  for (const { key, value } of log.getRange({ start: from })) {
    if (key !== expected) {
      const reason = `entry ${expected} missing, next stored key is ${String(key)}`;
      return { entries, bad: { index: expected, reason } };
    }
    try {
      const e = decodeEntry(value);
      if (e.index !== key) throw new RecordError(`record holds entry ${e.index}`);
      entries.push(e);
    } catch (err) {
      if (!(err instanceof RecordError)) throw err;
      return { entries, bad: { index: key, reason: err.message } };
    }
    expected++;
  }
  return { entries, bad: null };
}

async function readEntries(io: LmdbHandles, snapIndex: number, commit: number): Promise<Entry[]> {
  const { entries, bad } = scanLog(io.log, snapIndex + 1);
  if (bad === null) return entries;
  if (bad.index <= commit)
    throw new StorageCorruptError(
      'LOG_CORRUPT',
      io.dataDir,
      `log entry ${bad.index} is unreadable (${bad.reason}) at or below the commit index ` +
        `${commit}; restore DATA_DIR from a backup, or remove this node from the cluster and ` +
        `add it back with an empty DATA_DIR`,
      bad.index,
    );
  const keys = [...io.log.getKeys({ start: bad.index })];
  await io.log.batch(() => {
    for (const k of keys) void io.log.remove(k);
  });
  await io.root.flushed;
  io.logger.warn(
    { index: bad.index, reason: bad.reason, commit, dropped: keys.length, dataDir: io.dataDir },
    'unreadable log tail after the commit index; truncated it (the leader re-sends it)',
  );
  return entries;
}

function firstOf<T>(items: Iterable<T>): T | null {
  for (const item of items) return item;
  return null;
}
