// In-memory RaftStorage: the reference implementation, and the simulator's "disk".
import { invariant } from './errors.ts';
import type { RaftWrite } from './ready.ts';
import type { LogReader, RaftStorage } from './storage.ts';
import type { Config, Entry, HardState, InitialState, Snapshot } from './types.ts';

export class MemoryStorage implements RaftStorage, LogReader {
  private hardState: HardState = { term: 0, vote: null, commit: 0 };
  private snapshot: Snapshot | null = null;
  private entries: Entry[] = [];
  private readonly bootstrapConfig: Config | undefined;

  constructor(bootstrapConfig?: Config) {
    this.bootstrapConfig = bootstrapConfig;
  }

  initialState(): InitialState {
    const base = { hardState: this.hardState, snapshot: this.snapshot, entries: [...this.entries] };
    return this.bootstrapConfig === undefined
      ? base
      : { ...base, bootstrapConfig: this.bootstrapConfig };
  }

  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    const offset = this.firstIndex();
    invariant(first.index >= offset, `append at ${first.index} below first index ${offset}`);
    invariant(
      first.index <= offset + this.entries.length,
      `append at ${first.index} leaves a gap after ${offset + this.entries.length - 1}`,
    );
    this.entries.length = first.index - offset;
    for (const e of entries) this.entries.push(e);
  }

  /** Everything a Ready (or an early write) asks to persist, in the contract's order. */
  write(w: RaftWrite): void {
    if (w.snapshot !== null) this.saveSnapshot(w.snapshot, true);
    this.append(w.entries);
    if (w.hardState !== null) this.setHardState(w.hardState);
  }

  setHardState(state: HardState): void {
    this.hardState = state;
  }

  saveSnapshot(snapshot: Snapshot, discardLog: boolean): void {
    const current = this.snapshot?.meta.index ?? 0;
    invariant(snapshot.meta.index >= current, 'snapshot older than the stored one');
    this.snapshot = snapshot;
    if (discardLog) this.entries = [];
  }

  compact(index: number): void {
    const offset = this.firstIndex();
    if (index < offset) return;
    this.entries = this.entries.slice(index - offset + 1);
  }

  /** The stored entry at `index` (LogReader). */
  entry(index: number): Entry | undefined {
    const e = this.entries[index - this.firstIndex()];
    return e !== undefined && e.index === index ? e : undefined;
  }

  /** Index of the first stored entry (or the slot after the snapshot when the log is empty). */
  firstIndex(): number {
    const first = this.entries[0];
    if (first !== undefined) return first.index;
    return (this.snapshot?.meta.index ?? 0) + 1;
  }

  lastIndex(): number {
    return this.firstIndex() + this.entries.length - 1;
  }

  storedEntries(): readonly Entry[] {
    return this.entries;
  }

  storedHardState(): HardState {
    return this.hardState;
  }

  storedSnapshot(): Snapshot | null {
    return this.snapshot;
  }
}
