// One suspicion timer (Lifeguard): it starts at the maximum timeout and shrinks towards the
// minimum as independent peers confirm the suspicion. The node that raised the suspicion we
// first heard is not counted, so our own suspicion echoed back cannot speed up the timer.
import { suspicionTotalMs } from './timing.ts';

export class Suspicion {
  /** Independent confirmations counted so far. */
  private n = 0;
  /** Peers that confirmed; holds at most k + 1 names. */
  private readonly confirmed = new Set<string>();
  private deadline: number;

  /** Confirmations wanted to reach the minimum timeout; k < 1 means use the minimum now. */
  private readonly k: number;
  private readonly minMs: number;
  private readonly maxMs: number;
  readonly startMs: number;

  constructor(from: string, k: number, minMs: number, maxMs: number, startMs: number) {
    this.k = k;
    this.minMs = minMs;
    this.maxMs = maxMs;
    this.startMs = startMs;
    this.confirmed.add(from);
    this.deadline = startMs + (k < 1 ? minMs : maxMs);
  }

  /** When the suspected node is to be declared dead. */
  deadlineMs(): number {
    return this.deadline;
  }

  confirmations(): number {
    return this.n;
  }

  /** Counts a confirmation from `from`; true when it was new information worth re-gossiping. */
  confirm(from: string): boolean {
    if (this.n >= this.k || this.confirmed.has(from)) return false;
    this.confirmed.add(from);
    this.n++;
    this.deadline = this.startMs + suspicionTotalMs(this.n, this.k, this.minMs, this.maxMs);
    return true;
  }
}
