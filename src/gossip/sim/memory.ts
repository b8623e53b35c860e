// How much memory a simulated cluster needs, and making the heap big enough for it. Every one of
// N simulated nodes keeps a member table of all N nodes, and while a cluster forms each node
// also queues a broadcast about every member it learns of: memory grows as N^2. The cores
// share each member's name, address and meta (core/shared.ts) and index members by shared
// name ids (core/name-ids.ts), so a pair costs a compact table entry and, while forming, a
// queued-broadcast record. Measured on Node.js 20: about 200 bytes per (node, member) pair live
// at the peak; 2,000 nodes ran within a 1.8 GB heap (peak RSS 1.5 GB, the same wall time as
// with an unbounded heap), so the estimate allows 350 bytes per pair.
import { spawnSync } from 'node:child_process';
import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';

const peakBytesPerPair = 350;
const headroomBytes = 512 * 2 ** 20;

/** Estimated peak heap of a run with `nodes` nodes, in bytes. */
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
  const limit = getHeapStatistics().heap_size_limit;
  if (need <= limit) return { kind: 'fits' };
  const machine = totalmem();
  // Leave a quarter of the machine to everything else.
  if (need > machine * 0.75 && !force)
    return { kind: 'too-big', needBytes: need, haveBytes: machine };
  return { kind: 'reexec', heapMb: Math.ceil(Math.min(need, machine * 0.9) / 2 ** 20) };
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
