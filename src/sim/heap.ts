// A binary min-heap of timed items. Ties on time are broken by insertion order, so the
// simulator's event order is a pure function of what was scheduled and when.

export interface Timed<T> {
  readonly time: number;
  readonly seq: number;
  readonly item: T;
}

export class TimedHeap<T> {
  private readonly items: Timed<T>[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.items.length;
  }

  push(time: number, item: T): void {
    this.items.push({ time, seq: this.nextSeq++, item });
    this.up(this.items.length - 1);
  }

  peek(): Timed<T> | undefined {
    return this.items[0];
  }

  pop(): Timed<T> | undefined {
    const top = this.items[0];
    const last = this.items.pop();
    if (top === undefined || last === undefined) return undefined;
    if (this.items.length > 0) {
      this.items[0] = last;
      this.down(0);
    }
    return top;
  }

  /** Removes every item (in no particular order) for which `drop` holds. */
  removeWhere(drop: (item: T) => boolean): number {
    const kept = this.items.filter((t) => !drop(t.item));
    const removed = this.items.length - kept.length;
    if (removed > 0) {
      this.items.length = 0;
      for (const t of kept) this.items.push(t);
      for (let i = (this.items.length >> 1) - 1; i >= 0; i--) this.down(i);
    }
    return removed;
  }

  private less(i: number, j: number): boolean {
    const a = this.items[i];
    const b = this.items[j];
    if (a === undefined || b === undefined) return false;
    return a.time < b.time || (a.time === b.time && a.seq < b.seq);
  }

  private swap(i: number, j: number): void {
    const a = this.items[i];
    const b = this.items[j];
    if (a === undefined || b === undefined) return;
    this.items[i] = b;
    this.items[j] = a;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(l, m)) m = l;
      if (r < n && this.less(r, m)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
