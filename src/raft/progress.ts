// A leader's view of one follower: how far it matches, what to send next, and flow control.
//  probe:     one AppendEntries at a time until the follower's position is known;
//  replicate: optimistic pipelining, bounded by in-flight messages and bytes;
//  snapshot:  an InstallSnapshot is streaming; entries wait until it completes.
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

interface Inflight {
  readonly lastIndex: number;
  readonly bytes: number;
}

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** In probe state: a message was sent and no answer came yet. */
  probeSent = false;
  /** The leader's tick count when this peer last answered (check-quorum). */
  lastActiveTick = 0;
  /** Snapshot being streamed: its index and the offset the follower asked for. */
  snapIndex = 0;
  snapOffset = 0;
  /** Ticks since the last snapshot chunk was sent, to resend a lost one. */
  snapIdleTicks = 0;
  private inflights: Inflight[] = [];
  private inflightBytes = 0;

  constructor(next: number) {
    this.next = next;
  }

  becomeProbe(): void {
    // After a snapshot, probe from just past it; otherwise from just past the known match.
    this.next =
      this.state === 'snapshot' ? Math.max(this.match, this.snapIndex) + 1 : this.match + 1;
    this.state = 'probe';
    this.probeSent = false;
    this.clearInflights();
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.next = this.match + 1;
    this.clearInflights();
  }

  becomeSnapshot(index: number): void {
    this.state = 'snapshot';
    this.snapIndex = index;
    this.snapOffset = 0;
    this.snapIdleTicks = 0;
    this.clearInflights();
  }

  /** Record an acknowledged index; returns true if it moved the match forward. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (index > this.match) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    this.freeUpTo(index);
    return updated;
  }

  /**
   * A rejection of prevIndex `rejected`, with the follower's hint. Returns false if the
   * rejection is stale (answers an older message) and must be ignored.
   */
  maybeDecrease(rejected: number, hint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, hint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  /** Can the leader send entries now? */
  isPaused(maxMsgs: number, maxBytes: number): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.length >= maxMsgs || this.inflightBytes >= maxBytes;
      case 'snapshot':
        return true;
    }
  }

  /** Account for a sent AppendEntries ending at `lastIndex`. */
  sent(lastIndex: number, bytes: number, entryCount: number): void {
    if (this.state === 'replicate') {
      if (entryCount > 0) {
        this.next = lastIndex + 1;
        this.inflights.push({ lastIndex, bytes });
        this.inflightBytes += bytes;
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  freeFirstInflight(): void {
    const f = this.inflights.shift();
    if (f !== undefined) this.inflightBytes -= f.bytes;
  }

  inflightCount(): number {
    return this.inflights.length;
  }

  private freeUpTo(index: number): void {
    let i = 0;
    while (i < this.inflights.length) {
      const f = this.inflights[i];
      if (f === undefined || f.lastIndex > index) break;
      this.inflightBytes -= f.bytes;
      i++;
    }
    if (i > 0) this.inflights.splice(0, i);
  }

  private clearInflights(): void {
    this.inflights = [];
    this.inflightBytes = 0;
  }
}
