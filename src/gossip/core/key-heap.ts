// A max-heap of numbers in a plain array (V8 keeps them unboxed, 8 bytes each): the broadcast
// queue's keys, largest (newest) on top. Four children per node rather than two: half the
// depth, and a node's children share a cache line, which matters when thousands of simulated
// cores each touch their own heaps in turn.

const arity = 4;

/**
 * An empty heap whose array already holds doubles: keys often start small enough for V8's
 * small-integer arrays and outgrow them later, and the small-integer start measured slower.
 */
export function newKeyHeap(): number[] {
  const heap = [0.5];
  heap.pop();
  return heap;
}

export function heapPush(heap: number[], key: number): void {
  let i = heap.length;
  heap.push(key);
  while (i > 0) {
    const parent = ((i - 1) / arity) | 0;
    const pk = heap[parent] ?? Infinity;
    if (pk >= key) break;
    heap[i] = pk;
    i = parent;
  }
  heap[i] = key;
}

/** Removes and returns the largest key; -1 when empty. */
export function heapPop(heap: number[]): number {
  const n = heap.length - 1;
  if (n < 0) return -1;
  const top = heap[0] ?? -1;
  const last = heap.pop() ?? -1;
  if (n === 0) return top;
  let i = 0;
  for (;;) {
    const first = arity * i + 1;
    if (first >= n) break;
    const end = Math.min(first + arity, n);
    let child = first;
    let ck = heap[first] ?? -Infinity;
    for (let c = first + 1; c < end; c++) {
      const k = heap[c] ?? -Infinity;
      if (k > ck) {
        ck = k;
        child = c;
      }
    }
    if (ck <= last) break;
    heap[i] = ck;
    i = child;
  }
  heap[i] = last;
  return top;
}
