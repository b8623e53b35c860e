// How much memory a simulated cluster needs, and making the heap big enough for it. Every one of
// N simulated nodes keeps a member table of all N nodes, and while a cluster forms each node
// also queues a broadcast about every member it learns of (at the peak nearly every node has
// every member queued): memory grows as N^2. The cores share each member's name, address and
// meta (core/shared.ts), index members by shared name ids (core/name-ids.ts), and keep member
// state and queued broadcasts in flat typed arrays (core/node-table.ts, core/broadcast-queue.ts)
// rather than an object per pair.
//
// Measured on Node.js 20 while 2,000 and 3,000 nodes formed (live after a full GC, at the peak,
// when nearly every node has every member queued): about 80 bytes per (node, member) pair.
// About 40 of them are typed arrays outside the V8 heap (table 21, queue 12, plus their growth
// slack), and 30-40 are in the V8 heap (each member's and each queued message's reference to
// shared data, and the queue's heap keys, plus the slack of growing arrays). The estimate
// allows the arrays' worst growth slack (half again, depending on where N falls between two
// capacities: 55 bytes) and gives the V8 heap twice its measured live size (40 bytes) as room
// for garbage; the heap limit is raised to that when the default is too small. That is 135
// bytes per pair at worst: 10,000 nodes need about 14 GB (about 8 GB expected).
import { spawnSync } from 'node:child_process';
import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';

/** Live V8 heap per pair at the peak, and the typed arrays' worst case (outside the heap). */
const heapBytesPerPair = 40;
const arrayBytesPerPair = 55;
/** The heap limit is this many times the live heap. */
const gcRoom = 2;
const headroomBytes = 512 * 2 ** 20;

/** Worst-case peak memory per (node, member) pair, in bytes (for messages). */
export const peakBytesPerPair = gcRoom * heapBytesPerPair + arrayBytesPerPair;

/** The V8 heap limit a run with `nodes` nodes is given, in bytes. */
export function heapLimitBytes(nodes: number): number {
  return gcRoom * heapBytesPerPair * nodes * nodes + headroomBytes;
}

/** Estimated peak memory (heap limit plus typed arrays) of a run with `nodes` nodes, in bytes. */
export function estimatedPeakBytes(nodes: number): number {
  return peakBytesPerPair * nodes * nodes + headroomBytes;
}

/** The largest cluster whose estimated peak fits in `bytes`. */
export function largestFitting(bytes: number): number {
  return Math.max(0, Math.floor(Math.sqrt(Math.max(0, bytes - headroomBytes) / peakBytesPerPair)));
}

export type HeapPlan =
  | { readonly kind: 'fits' }
  | { readonly kind: 'reexec'; readonly heapMb: number }
  | { readonly kind: 'too-big'; readonly needBytes: number; readonly haveBytes: number };

/** Whether `nodes` fit the current heap limit, need a bigger one, or exceed the machine. */
export function planHeap(nodes: number, force: boolean): HeapPlan {
  const need = estimatedPeakBytes(nodes);
  const machine = totalmem();
  // Leave a quarter of the machine to everything else.
  if (need > machine * 0.75 && !force) {
    return { kind: 'too-big', needBytes: need, haveBytes: machine };
  }
  const heap = heapLimitBytes(nodes);
  if (heap <= getHeapStatistics().heap_size_limit) return { kind: 'fits' };
  return { kind: 'reexec', heapMb: Math.ceil(Math.min(heap, machine * 0.9) / 2 ** 20) };
}

/** Runs this same command again with a larger V8 heap; its exit status. */
export function reexecWithHeap(heapMb: number): number {
  const args = [
    ...process.execArgv,
    `--max-old-space-size=${String(heapMb)}`,
    ...process.argv.slice(1),
  ];
  const r = spawnSync(process.execPath, args, {
    stdio: 'inherit',
    env: { ...process.env, GOSSIP_SIM_REEXEC: '1' },
  });
  return r.status ?? 1;
}
