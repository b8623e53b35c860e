// The replicated key-value state machine the simulated clients drive. Commands travel as JSON
// bytes inside normal log entries and carry the client's op id, so the node that proposed a
// command recognises it when it is applied — by content, never by log index (an index can be
// overwritten by a later leader with someone else's command).

export type KvCommand =
  | { readonly op: 'write'; readonly id: string; readonly key: string; readonly value: string }
  | {
      readonly op: 'cas';
      readonly id: string;
      readonly key: string;
      readonly expected: string;
      readonly value: string;
    }
  | { readonly op: 'delete'; readonly id: string; readonly key: string };

/** What applying a command did: for cas, whether it swapped. */
export interface KvResult {
  readonly id: string;
  readonly ok: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeCommand(c: KvCommand): Uint8Array {
  return encoder.encode(JSON.stringify(c));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Decodes a command; throws on anything that is not one (a corrupted entry is a bug). */
export function decodeCommand(data: Uint8Array): KvCommand {
  const v: unknown = JSON.parse(decoder.decode(data));
  if (isRecord(v) && typeof v['id'] === 'string' && typeof v['key'] === 'string') {
    const { id, key } = v;
    if (v['op'] === 'write' && typeof v['value'] === 'string') {
      return { op: 'write', id, key, value: v['value'] };
    }
    if (v['op'] === 'cas' && typeof v['expected'] === 'string' && typeof v['value'] === 'string') {
      return { op: 'cas', id, key, expected: v['expected'], value: v['value'] };
    }
    if (v['op'] === 'delete') return { op: 'delete', id, key };
  }
  throw new Error(`kv: not a command: ${decoder.decode(data)}`);
}

interface KvSnapshotData {
  readonly applied: number;
  readonly pairs: readonly (readonly [string, string])[];
}

export class Kv {
  private readonly map = new Map<string, string>();
  /** Index of the last log entry reflected in the map. */
  private appliedIndex = 0;

  get applied(): number {
    return this.appliedIndex;
  }

  get(key: string): string | null {
    return this.map.get(key) ?? null;
  }

  /**
   * Applies the entry at `index`. `data` is null for entries without a command (the leader's
   * no-op, membership changes), which only advance the applied index.
   */
  apply(index: number, data: Uint8Array | null): KvResult | null {
    if (index !== this.appliedIndex + 1) {
      throw new Error(`kv: apply of index ${index} after ${this.appliedIndex}`);
    }
    this.appliedIndex = index;
    if (data === null || data.length === 0) return null;
    const c = decodeCommand(data);
    switch (c.op) {
      case 'write':
        this.map.set(c.key, c.value);
        return { id: c.id, ok: true };
      case 'delete':
        this.map.delete(c.key);
        return { id: c.id, ok: true };
      case 'cas': {
        if (this.map.get(c.key) !== c.expected) return { id: c.id, ok: false };
        this.map.set(c.key, c.value);
        return { id: c.id, ok: true };
      }
    }
  }

  /** A canonical encoding of the whole state (sorted keys) plus the applied index. */
  serialize(): Uint8Array {
    const snap: KvSnapshotData = { applied: this.appliedIndex, pairs: this.sortedPairs() };
    return encoder.encode(JSON.stringify(snap));
  }

  /** Replaces the whole state with a serialized one. */
  restore(data: Uint8Array): void {
    const v: unknown = JSON.parse(decoder.decode(data));
    if (!isRecord(v) || typeof v['applied'] !== 'number' || !Array.isArray(v['pairs'])) {
      throw new Error('kv: malformed snapshot');
    }
    this.map.clear();
    for (const p of v['pairs'] as unknown[]) {
      if (!Array.isArray(p) || typeof p[0] !== 'string' || typeof p[1] !== 'string') {
        throw new Error('kv: malformed snapshot pair');
      }
      this.map.set(p[0], p[1]);
    }
    this.appliedIndex = v['applied'];
  }

  /** A compact string identifying the map's content (not the applied index). */
  digest(): string {
    return JSON.stringify(this.sortedPairs());
  }

  private sortedPairs(): [string, string][] {
    return [...this.map.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
}

/** The applied index recorded inside a serialized snapshot. */
export function snapshotAppliedIndex(data: Uint8Array): number {
  const kv = new Kv();
  kv.restore(data);
  return kv.applied;
}
