// Blocking queries wait for an index to pass a value. Waiters are woken on every apply that
// moves the index; each has a deadline, can be cancelled (the client hung up, the server is
// closing) and leaves at once when it is, and their number is bounded.
interface Waiter {
  readonly wake: () => void;
}

export class IndexWatch {
  private readonly waiters = new Set<Waiter>();
  private readonly maxWaiters: number;

  constructor(maxWaiters: number) {
    this.maxWaiters = maxWaiters;
  }

  /**
   * Resolves true once `current()` exceeds `min`; false when `timeoutMs` passes first or
   * `signal` aborts (the waiter is gone the moment either happens). Throws RangeError when too
   * many requests are already waiting.
   */
  wait(
    min: number,
    current: () => number,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<boolean> {
    if (current() > min) return Promise.resolve(true);
    if (signal?.aborted === true) return Promise.resolve(false);
    if (this.waiters.size >= this.maxWaiters) {
      return Promise.reject(new RangeError(`too many blocking queries (${this.maxWaiters})`));
    }
    return new Promise<boolean>((resolve) => {
      const finish = (passed: boolean): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters.delete(w);
        resolve(passed);
      };
      const onAbort = (): void => finish(false);
      const w: Waiter = {
        wake: () => {
          if (current() > min) finish(true);
        },
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
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
