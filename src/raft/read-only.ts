// ReadIndex bookkeeping on a leader (thesis §6.4): each read gets a sequence number and the
// commit index at the time it arrived; heartbeats carry the newest sequence, and once a quorum
// has echoed a sequence, every read up to it may be served at its recorded index.
import type { NodeId } from './types.ts';

export interface PendingRead {
  readonly seq: number;
  readonly index: number;
  readonly context: string;
  /** Who asked: the leader itself or a follower that forwarded the read. */
  readonly from: NodeId;
}

export class ReadOnlyQueue {
  private seq = 0;
  private pending: PendingRead[] = [];
  private readonly acks = new Map<NodeId, number>();
  private readonly maxPending: number;

  constructor(maxPending: number) {
    this.maxPending = maxPending;
  }

  /** Registers a read; returns false if the queue is full and the read must be dropped. */
  add(index: number, context: string, from: NodeId): boolean {
    if (this.pending.length >= this.maxPending) return false;
    this.seq++;
    this.pending.push({ seq: this.seq, index, context, from });
    return true;
  }

  currentSeq(): number {
    return this.seq;
  }

  hasPending(): boolean {
    return this.pending.length > 0;
  }

  ack(from: NodeId, seq: number): void {
    const prev = this.acks.get(from) ?? 0;
    if (seq > prev) this.acks.set(from, seq);
  }

  /**
   * Releases the reads confirmed by a quorum of `voters` (`self` counts as acking everything).
   */
  release(voters: readonly NodeId[], self: NodeId): PendingRead[] {
    if (this.pending.length === 0) return [];
    const acked = voters.map((v) => (v === self ? this.seq : (this.acks.get(v) ?? 0)));
    acked.sort((a, b) => b - a);
    const confirmed = acked[Math.floor(voters.length / 2)] ?? 0;
    let n = 0;
    while (n < this.pending.length && (this.pending[n]?.seq ?? Infinity) <= confirmed) n++;
    return this.pending.splice(0, n);
  }

  /** Leadership lost: everything pending is returned to be failed. */
  drain(): PendingRead[] {
    const out = this.pending;
    this.pending = [];
    this.acks.clear();
    return out;
  }
}
