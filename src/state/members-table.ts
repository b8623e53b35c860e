// The members table: one row per node as the leader last saw it in gossip (addresses, tags,
// free resources, status). Rows are replaced whole; like the key-value table, each remembers the
// Raft index that created and last modified it, and the time (event time, never a local clock)
// of its last change.
import type { MemberFields } from './commands.ts';

export interface MemberRow extends MemberFields {
  readonly createIndex: number;
  readonly modifyIndex: number;
  /** ms since the epoch: the event time of the last change. */
  readonly updatedAt: number;
}

export class MembersTable {
  private readonly rows = new Map<string, MemberRow>();
  private sortedCache: MemberRow[] | null = [];
  /** Highest Raft index that changed this table. */
  index = 0;

  get(id: string): MemberRow | undefined {
    return this.rows.get(id);
  }

  size(): number {
    return this.rows.size;
  }

  /** Every row, ordered by id. */
  list(): readonly MemberRow[] {
    this.sortedCache ??= [...this.rows.values()].sort((a, b) =>
      a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
    );
    return this.sortedCache;
  }

  /**
   * Replaces the row of `f.id`. Returns false when the row already holds exactly these fields:
   * then nothing changes (not even ModifyIndex), so re-announcing a member is not an event.
   */
  upsert(f: MemberFields, index: number, timeMs: number): boolean {
    const prev = this.rows.get(f.id);
    if (prev !== undefined && sameMemberFields(prev, f)) return false;
    this.rows.set(f.id, {
      id: f.id,
      raftAddr: f.raftAddr,
      httpAddr: f.httpAddr,
      gossipAddr: f.gossipAddr,
      tags: [...f.tags],
      cpuFreeMilli: f.cpuFreeMilli,
      memFreeBytes: f.memFreeBytes,
      status: f.status,
      createIndex: prev?.createIndex ?? index,
      modifyIndex: index,
      updatedAt: timeMs,
    });
    this.sortedCache = null;
    this.index = index;
    return true;
  }

  /** Returns whether the member existed. */
  remove(id: string, index: number): boolean {
    if (!this.rows.delete(id)) return false;
    this.sortedCache = null;
    this.index = index;
    return true;
  }

  load(rows: readonly MemberRow[], index: number): void {
    this.rows.clear();
    for (const r of rows) this.rows.set(r.id, r);
    this.sortedCache = null;
    this.index = index;
  }
}

/** Whether two rows of the same member hold the same fields (the id is not compared). */
export function sameMemberFields(a: MemberFields, b: MemberFields): boolean {
  return (
    a.raftAddr === b.raftAddr &&
    a.httpAddr === b.httpAddr &&
    a.gossipAddr === b.gossipAddr &&
    a.cpuFreeMilli === b.cpuFreeMilli &&
    a.memFreeBytes === b.memFreeBytes &&
    a.status === b.status &&
    a.tags.length === b.tags.length &&
    a.tags.every((t, i) => t === b.tags[i])
  );
}
