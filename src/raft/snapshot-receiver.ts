// Follower side of chunked InstallSnapshot: chunks must arrive in order; a chunk at the wrong
// offset is answered with the offset wanted, so a lost chunk or a restarted follower resumes.
import type { Snapshot, SnapshotMeta } from './types.ts';

export type ChunkResult =
  | { readonly kind: 'need'; readonly offset: number }
  | { readonly kind: 'complete'; readonly snapshot: Snapshot };

export class SnapshotReceiver {
  private meta: SnapshotMeta | null = null;
  private chunks: Uint8Array[] = [];
  private offset = 0;
  private totalBytes = 0;

  receive(
    meta: SnapshotMeta,
    offset: number,
    totalBytes: number,
    data: Uint8Array,
    done: boolean,
  ): ChunkResult {
    const same =
      this.meta !== null && this.meta.index === meta.index && this.meta.term === meta.term;
    if (!same) {
      if (offset !== 0) return { kind: 'need', offset: 0 };
      this.meta = meta;
      this.chunks = [];
      this.offset = 0;
      this.totalBytes = totalBytes;
    }
    if (offset !== this.offset || totalBytes !== this.totalBytes) {
      return { kind: 'need', offset: this.offset };
    }
    if (this.offset + data.byteLength > this.totalBytes) {
      this.reset();
      return { kind: 'need', offset: 0 };
    }
    this.chunks.push(data);
    this.offset += data.byteLength;
    if (!done) return { kind: 'need', offset: this.offset };
    if (this.offset !== this.totalBytes || this.meta === null) {
      this.reset();
      return { kind: 'need', offset: 0 };
    }
    const snapshot = { meta: this.meta, data: concat(this.chunks, this.totalBytes) };
    this.reset();
    return { kind: 'complete', snapshot };
  }

  reset(): void {
    this.meta = null;
    this.chunks = [];
    this.offset = 0;
    this.totalBytes = 0;
  }
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
