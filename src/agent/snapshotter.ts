// Takes snapshots of the management database, automatically and on demand, and keeps `trailing`
// log entries behind each so slow followers catch up from the log rather than a whole snapshot.
// Automatic snapshots are amortized like LSM compactions: the next one is taken once at least
// `threshold` entries were applied since the last AND at least as many as the last one held rows
// (key-value rows, members and retained events; at most MAX_INTERVAL_FACTOR x threshold), so
// packing the whole state costs about as much per write at 60,000 keys as at 6,000. A table
// built only by creates still snapshots, at geometrically growing indexes. The state is frozen
// at one index in O(n) reference copies and encoded in slices of about a millisecond, so applies
// and client requests keep flowing while a large snapshot is packed.
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { SnapshotInfo } from '../api/backend.ts';
import type { RaftNode } from '../raft/index.ts';
import { encodeSnapshotSliced, type ManagementState } from '../state/index.ts';
import type { DurableRaftStorage } from '../storage/index.ts';

export interface SnapshotterComponents {
  readonly raft: RaftNode;
  readonly state: ManagementState;
  readonly storage: DurableRaftStorage;
  readonly logger: Logger;
  readonly threshold: number;
  readonly trailing: number;
  /** Source of the per-snapshot jitter, in [0, 1) (tests pin it). */
  readonly random?: () => number;
}

/**
 * Each automatic interval is stretched by a random part of up to this fraction of itself, drawn
 * per node and snapshot, so the replicas of a cluster (which apply the same entries) do not all
 * pack their snapshots at the same moment and stall a quorum together.
 */
export const INTERVAL_JITTER = 0.25;

/** The automatic interval never exceeds this many thresholds (bounds the in-memory log). */
export const MAX_INTERVAL_FACTOR = 16;

/**
 * Entries to apply after a snapshot before the next automatic one: at least `threshold`, and at
 * least `rows` (the rows and retained events that snapshot held), up to MAX_INTERVAL_FACTOR x
 * threshold.
 */
export function snapshotInterval(threshold: number, rows: number): number {
  return Math.max(threshold, Math.min(rows, threshold * MAX_INTERVAL_FACTOR));
}

/** The interval after a snapshot of `rows` rows, stretched by `r` in [0, 1) of the jitter. */
export function jitteredInterval(threshold: number, rows: number, r: number): number {
  const interval = snapshotInterval(threshold, rows);
  return interval + Math.floor(r * INTERVAL_JITTER * interval);
}

export class Snapshotter {
  private readonly c: SnapshotterComponents;
  private running: Promise<SnapshotInfo> | null = null;
  private scheduled = false;
  /** The snapshot the next automatic one is measured from, and the rows it held. */
  private baseline = { index: -1, rows: 0, interval: 0 };

  constructor(c: SnapshotterComponents) {
    this.c = c;
  }

  /** Called after each apply; the snapshot itself runs after the driver's advance(). */
  afterApply(): void {
    if (this.scheduled || this.running !== null) return;
    const snapshotIndex = this.c.raft.snapshotIndex();
    if (snapshotIndex !== this.baseline.index) {
      // Taken here (take() set the rows at its index), installed from the leader, or loaded at
      // start: the rows now are at most a few entries past the snapshot's.
      this.setBaseline(snapshotIndex, this.rows());
    }
    const since = this.c.state.lastApplied - snapshotIndex;
    if (since < this.baseline.interval) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.snapshotNow().catch((err: unknown) =>
        this.c.logger.error({ err }, 'automatic snapshot failed'),
      );
    });
  }

  private setBaseline(index: number, rows: number): void {
    const r = (this.c.random ?? Math.random)();
    this.baseline = { index, rows, interval: jitteredInterval(this.c.threshold, rows, r) };
  }

  snapshotNow(): Promise<SnapshotInfo> {
    this.running ??= this.take().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async take(): Promise<SnapshotInfo> {
    const { raft, state } = this.c;
    const s = raft.status();
    // The state's content is exactly its last applied entry's; the driver may have applied
    // entries of the Ready it is writing, which the core accepts as applied.
    const applied = state.lastApplied;
    if (applied === 0) throw new Error('nothing to snapshot yet');
    if (applied === s.snapshotIndex) return this.newestOnDisk(applied);
    const startedMs = performance.now();
    const view = state.snapshotView();
    const data = await encodeSnapshotSliced(view);
    const packedMs = performance.now();
    // Entries applied meanwhile are after the view's index, which stays committed and in the
    // log (only this class compacts it) unless a leader's snapshot replaced everything.
    const current = raft.status().snapshotIndex;
    if (current >= applied) {
      throw new Error(`snapshot at ${applied} superseded by the snapshot at ${current}`);
    }
    const snap = raft.createSnapshot(applied, data);
    const { kv, members, events } = view.contents;
    const rows = kv.length + members.length + events.length;
    this.setBaseline(snap.meta.index, rows);
    await this.c.storage.saveSnapshot(snap);
    const path = (await this.newestOnDisk(snap.meta.index)).path;
    const savedMs = performance.now();
    const compactTo = Math.max(0, snap.meta.index - this.c.trailing);
    if (compactTo > 0) {
      raft.compact(compactTo);
      await this.c.storage.compact(compactTo);
    }
    const doneMs = performance.now();
    this.c.logger.info(
      {
        index: snap.meta.index,
        term: snap.meta.term,
        path,
        compactedTo: compactTo,
        rows,
        bytes: data.byteLength,
        // Wall-clock time of each phase (the event loop keeps running during all three).
        packMs: Math.round(packedMs - startedMs),
        saveMs: Math.round(savedMs - packedMs),
        compactMs: Math.round(doneMs - savedMs),
      },
      'snapshot taken',
    );
    return { index: snap.meta.index, term: snap.meta.term, path };
  }

  private rows(): number {
    const { kv, members, events } = this.c.state;
    return kv.size() + members.size() + events.retainedCount();
  }

  /** Nothing applied since the last snapshot (taken here or installed from the leader). */
  private async newestOnDisk(index: number): Promise<SnapshotInfo> {
    const newest = (await this.c.storage.listSnapshots())[0];
    if (newest?.index !== index) throw new Error(`snapshot at ${index} is not on disk`);
    return newest;
  }
}
