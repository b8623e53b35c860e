// A binary max-heap of queued broadcasts by id (the newest on top). The ids sit in their own
// array beside the items, so sifting compares numbers in one block of memory instead of
// visiting every item it passes.

export interface HasId {
  readonly id: number;
}

export class IdHeap<T extends HasId> {
  private readonly items: T[] = [];
  private readonly ids: number[] = [];

  get size(): number {
    return this.items.length;
  }

  values(): readonly T[] {
    return this.items;
  }

  push(item: T): void {
    const { items, ids } = this;
    const id = item.id;
    let i = items.length;
    items.push(item);
    ids.push(id);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pid = ids[parent] ?? Infinity;
      if (pid >= id) break;
      items[i] = items[parent] as T;
      ids[i] = pid;
      i = parent;
    }
    items[i] = item;
    ids[i] = id;
  }

  pop(): T | undefined {
    const { items, ids } = this;
    const top = items[0];
    const last = items.pop();
    const lastId = ids.pop() ?? -Infinity;
    if (top === undefined || last === undefined || items.length === 0) return top;
    const n = items.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const lid = ids[l] ?? -Infinity;
      const rid = r < n ? (ids[r] ?? -Infinity) : -Infinity;
      const useRight = rid > lid;
      const child = useRight ? r : l;
      const cid = useRight ? rid : lid;
      if (cid <= lastId) break;
      items[i] = items[child] as T;
      ids[i] = cid;
      i = child;
    }
    items[i] = last;
    ids[i] = lastId;
    return top;
  }
}
