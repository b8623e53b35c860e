// The global virtual clock and its timers (node ticks, client timeouts, faults). Network
// deliveries live in the Network's own queue; the cluster interleaves the two by time.
import { TimedHeap } from './heap.ts';

export interface Task {
  readonly label: string;
  readonly run: () => void;
}

export class Scheduler {
  private readonly tasks = new TimedHeap<Task>();
  /** Virtual time in milliseconds. */
  now = 0;

  at(time: number, label: string, run: () => void): void {
    if (time < this.now)
      throw new Error(`scheduler: ${label} at ${time} is in the past (${this.now})`);
    this.tasks.push(time, { label, run });
  }

  after(delay: number, label: string, run: () => void): void {
    this.at(this.now + delay, label, run);
  }

  nextTime(): number {
    return this.tasks.peek()?.time ?? Infinity;
  }

  /** Removes the earliest task (the caller has moved the clock to its time). */
  pop(): Task | undefined {
    return this.tasks.pop()?.item;
  }

  get pending(): number {
    return this.tasks.size;
  }
}
