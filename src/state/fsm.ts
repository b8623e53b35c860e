// The management database: one deterministic state machine fed only by committed Raft entries.
// Everything else reads it; only apply() and restore() change it.
import { Packr } from 'msgpackr';
import type { Entry, Snapshot } from '../raft/index.ts';
import { decodeCommand, type Command } from './commands.ts';
import { KvTable, type KvEntry } from './kv-table.ts';

/** What a command's apply returns to the client that proposed it. */
export type ApplyResult = boolean | null;

interface SnapshotBody {
  readonly version: 1;
  readonly kvIndex: number;
  readonly kv: readonly KvEntry[];
  readonly lastApplied: number;
}

const packr = new Packr({ useRecords: false, moreTypes: false });

export class ManagementState {
  readonly kv = new KvTable();
  /** Index of the last applied Raft entry. */
  lastApplied = 0;
  private readonly listeners: ((index: number) => void)[] = [];

  onApply(fn: (index: number) => void): void {
    this.listeners.push(fn);
  }

  apply(e: Entry): ApplyResult {
    let result: ApplyResult = null;
    if (e.type === 'normal' && e.data.byteLength > 0)
      result = this.applyCommand(decodeCommand(e.data), e.index);
    this.lastApplied = e.index;
    for (const fn of this.listeners) fn(e.index);
    return result;
  }

  snapshot(): Uint8Array {
    const body: SnapshotBody = {
      version: 1,
      kvIndex: this.kv.index,
      kv: this.kv.all(),
      lastApplied: this.lastApplied,
    };
    return packr.pack(body);
  }

  restore(s: Snapshot): void {
    const body = packr.unpack(s.data) as SnapshotBody;
    if (body.version !== 1)
      throw new Error(`snapshot version ${String(body.version)} is not supported`);
    this.kv.load(
      body.kv.map((e) => ({ ...e, value: new Uint8Array(e.value) })),
      body.kvIndex,
    );
    this.lastApplied = s.meta.index;
    for (const fn of this.listeners) fn(s.meta.index);
  }

  private applyCommand(c: Command, index: number): ApplyResult {
    switch (c.t) {
      case 'kv.set':
        return this.kv.set(c.key, c.value, c.flags, c.cas, index);
      case 'kv.delete':
        return c.recurse ? this.kv.deletePrefix(c.key, index) : this.kv.delete(c.key, c.cas, index);
    }
  }
}
