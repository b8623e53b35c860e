// The management database: one deterministic state machine fed only by committed Raft entries.
// Everything else reads it; only apply() and restore() change it. It never reads a clock:
// event times come from the commands (see commands.ts), so every replica that applies the same
// entries holds the same tables and the same event chain, hash for hash.
import type { Entry, Snapshot } from '../raft/index.ts';
import { applyCommand, confChangeEvent, type ApplyResult, type Change } from './apply-command.ts';
import { decodeCommand } from './commands.ts';
import { EventLog, DEFAULT_EVENTS_RETAINED_MAX, type EventType } from './event-log.ts';
import { KvTable } from './kv-table.ts';
import { MembersTable } from './members-table.ts';
import { decodeSnapshot, encodeSnapshot, type SnapshotView } from './snapshot-body.ts';

export type { ApplyResult } from './apply-command.ts';

export interface ManagementStateOptions {
  /** Events kept in memory (and in snapshots); older ones leave only the chain base. */
  readonly eventsRetainedMax?: number;
}

export class ManagementState {
  readonly kv = new KvTable();
  readonly members = new MembersTable();
  readonly events: EventLog;
  /** Index of the last applied Raft entry. */
  lastApplied = 0;
  private readonly cluster: { id: string | null } = { id: null };
  private readonly listeners: ((index: number) => void)[] = [];

  constructor(options: ManagementStateOptions = {}) {
    this.events = new EventLog(options.eventsRetainedMax ?? DEFAULT_EVENTS_RETAINED_MAX);
  }

  /** Set once by the bootstrapping node's cluster.init; null before. */
  get clusterId(): string | null {
    return this.cluster.id;
  }

  onApply(fn: (index: number) => void): void {
    this.listeners.push(fn);
  }

  apply(e: Entry): ApplyResult {
    let result: ApplyResult = null;
    if (e.type === 'conf') {
      this.record(e, 'raft.conf', this.events.headTime, confChangeEvent(e));
    } else if (e.data.byteLength > 0) {
      const c = decodeCommand(e.data);
      const timeMs = c.at ?? this.events.headTime;
      const tables = { kv: this.kv, members: this.members, cluster: this.cluster };
      const outcome = applyCommand(tables, c, e.index, timeMs);
      if (outcome.change !== null) this.record(e, c.t, timeMs, outcome.change);
      result = outcome.result;
    }
    this.lastApplied = e.index;
    for (const fn of this.listeners) fn(e.index);
    return result;
  }

  /** The encoded snapshot of the state now (synchronous: snapshotView() + encodeSnapshotSliced). */
  snapshot(): Uint8Array {
    const view = this.snapshotView();
    return encodeSnapshot(view.contents, view.lastApplied);
  }

  /**
   * The state at lastApplied, frozen: O(n) copies of references to rows and events, which are
   * immutable (every change replaces a whole row, the log only appends), so applies may go on
   * while the view is encoded (encodeSnapshotSliced) and it still holds exactly this index.
   */
  snapshotView(): SnapshotView {
    const { base, events } = this.events.export();
    return {
      contents: {
        kvIndex: this.kv.index,
        kv: this.kv.rows(),
        membersIndex: this.members.index,
        members: this.members.list(),
        clusterId: this.cluster.id,
        eventBase: base,
        events,
      },
      lastApplied: this.lastApplied,
    };
  }

  /** Replaces everything with the snapshot's contents (version 2, or version 1: kv only). */
  restore(s: Snapshot): void {
    const c = decodeSnapshot(s.data);
    this.kv.load(c.kv, c.kvIndex);
    this.members.load(c.members, c.membersIndex);
    this.cluster.id = c.clusterId;
    this.events.load(c.eventBase, c.events);
    this.lastApplied = s.meta.index;
    for (const fn of this.listeners) fn(s.meta.index);
  }

  private record(e: Entry, type: EventType, timeMs: number, change: Change): void {
    this.events.append({
      index: e.index,
      term: e.term,
      time: timeMs,
      type,
      subject: change.subject,
      data: change.data,
    });
  }
}
