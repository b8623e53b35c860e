// A binary max-heap of queued broadcasts by id (the newest on top).

export interface HasId {
  readonly id: number;
}

export class IdHeap<T extends HasId> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  values(): readonly T[] {
    return this.items;
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = a[parent];
      if (p === undefined || p.id >= item.id) break;
      a[i] = p;
      i = parent;
    }
    a[i] = item;
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const left = a[l];
      const right = a[r];
      if (left === undefined) break;
      const useRight = right !== undefined && right.id > left.id;
      const child = useRight ? right : left;
      if (child.id <= last.id) break;
      a[i] = child;
      i = useRight ? r : l;
    }
    a[i] = last;
    return top;
  }
}
