// Microbenchmark of snapshot packing, not part of the tests: the hand-written row encoder
// (encodeSnapshot, encodeSnapshotSliced) against msgpackr's generic walk over the same body,
// which is what encodeSnapshot did before. The state is built by kv.set commands (so the
// retained events are what a busy node holds). The sliced encoder runs at its default slice
// length and at 4 ms (the default before session 6): the longest slice is how long one blocks
// the event loop, the busy time what the slicing costs in all. Prints each round and the
// medians. With --expose-gc, a full collection runs before each measurement, so the garbage of
// one encoder is not collected on the other's time.
//   npx tsx bench/snapshot-pack.ts [--keys N] [--value-bytes N] [--writes N] [--rounds N]
//   node --expose-gc --import tsx bench/snapshot-pack.ts
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Packr } from 'msgpackr';
import { encodeCommand, encodeSnapshotSliced, ManagementState } from '../src/state/index.ts';
import { encodeSnapshot, SNAPSHOT_VERSION } from '../src/state/snapshot-body.ts';

const { values: args } = parseArgs({
  options: {
    keys: { type: 'string', default: '65536' },
    'value-bytes': { type: 'string', default: '256' },
    writes: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '7' },
  },
});
const keysN = Number(args.keys);
const valueBytes = Number(args['value-bytes']);
const writesN = Number(args.writes);
const roundsN = Number(args.rounds);
const AT0_MS = 1_700_000_000_000;
const msgpackr = new Packr({ useRecords: false, moreTypes: false });

function build(): ManagementState {
  const state = new ManagementState();
  const value = new Uint8Array(valueBytes);
  for (let index = 1; index <= writesN; index++) {
    value.fill(index & 0xff);
    const key = `bench/key-${String((index * 7919) % keysN).padStart(6, '0')}`;
    const c = { t: 'kv.set' as const, key, value, flags: 0, cas: null, at: AT0_MS + index };
    state.apply({ type: 'normal', term: 1, index, data: encodeCommand(c) });
  }
  return state;
}

/** Sliced encoding: ms of this thread's time in total, and the longest stretch between yields. */
async function sliced(
  state: ManagementState,
  sliceMs?: number,
): Promise<{ busyMs: number; longestMs: number }> {
  let busyMs = 0;
  let longestMs = 0;
  let since = performance.now();
  const note = (): void => {
    const ms = performance.now() - since;
    busyMs += ms;
    longestMs = Math.max(longestMs, ms);
  };
  await encodeSnapshotSliced(state.snapshotView(), {
    ...(sliceMs === undefined ? {} : { sliceMs }),
    yield: async () => {
      note();
      await new Promise<void>((resolve) => setImmediate(resolve));
      since = performance.now();
    },
  });
  note();
  return { busyMs, longestMs };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

async function main(): Promise<void> {
  const state = build();
  const view = state.snapshotView();
  const { kv, events } = view.contents;
  console.log(`state: ${kv.length} keys of ${valueBytes} B, ${events.length} events retained`);
  const rows = {
    before: [] as number[],
    after: [] as number[],
    sliced: [] as number[],
    longest: [] as number[],
    longest4: [] as number[],
    sliced4: [] as number[],
  };
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
  for (let round = 0; round < roundsN; round++) {
    gc();
    const body = { version: SNAPSHOT_VERSION, lastApplied: view.lastApplied, ...view.contents };
    const t0 = performance.now();
    const before = msgpackr.pack(body);
    const beforeMs = performance.now() - t0;
    gc();
    const t1 = performance.now();
    const after = encodeSnapshot(view.contents, view.lastApplied);
    const afterMs = performance.now() - t1;
    gc();
    const s = await sliced(state);
    gc();
    const s4 = await sliced(state, 4); // the slice length before session 6, for comparison
    const same = Buffer.compare(Buffer.from(before), Buffer.from(after)) === 0;
    rows.before.push(beforeMs);
    rows.after.push(afterMs);
    rows.sliced.push(s.busyMs);
    rows.longest.push(s.longestMs);
    rows.longest4.push(s4.longestMs);
    rows.sliced4.push(s4.busyMs);
    console.log(
      `round ${round}: ${(after.byteLength / 1e6).toFixed(1)} MB; msgpackr ${beforeMs.toFixed(1)} ms, ` +
        `hand-written ${afterMs.toFixed(1)} ms, sliced ${s.busyMs.toFixed(1)} ms busy ` +
        `(longest slice ${s.longestMs.toFixed(2)} ms; with 4 ms slices ${s4.busyMs.toFixed(1)} ms ` +
        `busy, longest ${s4.longestMs.toFixed(2)} ms); same bytes: ${same}`,
    );
  }
  console.log(
    `median: msgpackr ${median(rows.before).toFixed(1)} ms, hand-written ` +
      `${median(rows.after).toFixed(1)} ms, sliced ${median(rows.sliced).toFixed(1)} ms busy, ` +
      `longest slice ${median(rows.longest).toFixed(2)} ms (4 ms slices: ` +
      `${median(rows.sliced4).toFixed(1)} ms busy, longest ${median(rows.longest4).toFixed(2)} ms)`,
  );
}

await main();
