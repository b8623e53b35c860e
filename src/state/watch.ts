// Blocking queries wait for an index to pass a value. Waiters are woken on every apply that
// moves the index; each has a deadline, and their number is bounded.
export class IndexWatch {
  private waiters = new Set<{ min: number; wake: () => void }>();
  private readonly maxWaiters: number;

  constructor(maxWaiters: number) {
    this.maxWaiters = maxWaiters;
  }

  /**
   * Resolves true once `current()` exceeds `min`, false when `timeoutMs` passes first.
   * Throws RangeError when too many requests are already waiting.
   */
  wait(min: number, current: () => number, timeoutMs: number): Promise<boolean> {
    if (current() > min) return Promise.resolve(true);
    if (this.waiters.size >= this.maxWaiters) {
      return Promise.reject(new RangeError(`too many blocking queries (${this.maxWaiters})`));
    }
    return new Promise<boolean>((resolve) => {
      const w = {
        min,
        wake: (): void => {
          if (current() <= min) return;
          clearTimeout(timer);
          this.waiters.delete(w);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        resolve(false);
      }, timeoutMs);
      this.waiters.add(w);
    });
  }

  notify(): void {
    for (const w of [...this.waiters]) w.wake();
  }

  size(): number {
    return this.waiters.size;
  }
}
