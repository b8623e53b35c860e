// A read-only view of a node's durable log, as the invariant checker sees it.
import type { MemoryStorage } from '../raft/memory-storage.ts';
import type { Entry } from '../raft/types.ts';

export interface LogView {
  readonly snapshotIndex: number;
  readonly snapshotTerm: number;
  readonly lastIndex: number;
  /** Term of the entry at `index`; 0 for index 0; undefined when not stored (compacted/beyond). */
  termAt(index: number): number | undefined;
  entryAt(index: number): Entry | undefined;
}

export function storageLogView(storage: MemoryStorage): LogView {
  const snap = storage.storedSnapshot();
  return arrayLogView(storage.storedEntries(), snap?.meta.index ?? 0, snap?.meta.term ?? 0);
}

/** A log view over a plain array of entries (tests and fabricated states). */
export function arrayLogView(
  entries: readonly Entry[],
  snapshotIndex = 0,
  snapshotTerm = 0,
): LogView {
  const first = entries[0]?.index ?? snapshotIndex + 1;
  const entryAt = (index: number): Entry | undefined => entries[index - first];
  return {
    snapshotIndex,
    snapshotTerm,
    lastIndex: Math.max(first + entries.length - 1, snapshotIndex),
    termAt(index: number): number | undefined {
      if (index === 0) return 0;
      const e = entryAt(index);
      if (e !== undefined) return e.term;
      return index === snapshotIndex ? snapshotTerm : undefined;
    },
    entryAt,
  };
}
