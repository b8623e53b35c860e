// Microbenchmark of the management database's apply path and snapshots, not part of the tests:
// applies 100,000 kv.set entries (256-byte values over 64Ki distinct keys) to a fresh
// ManagementState, then takes snapshots. Prints per-entry apply cost and snapshot costs, the
// longest synchronous stretch of the sliced encoder (what blocks the event loop) included.
//   npx tsx bench/state-apply.ts [--entries N] [--keys N] [--value-bytes N] [--events-retained N]
//   node --cpu-prof --import tsx bench/state-apply.ts     (profile: CPU.*.cpuprofile)
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Entry } from '../src/raft/index.ts';
import { encodeCommand, encodeSnapshotSliced, ManagementState } from '../src/state/index.ts';

const { values: args } = parseArgs({
  options: {
    entries: { type: 'string', default: '100000' },
    keys: { type: 'string', default: '65536' },
    'value-bytes': { type: 'string', default: '256' },
    'events-retained': { type: 'string' },
  },
});
const entriesN = Number(args.entries);
const keysN = Number(args.keys);
const valueBytes = Number(args['value-bytes']);
const retained = args['events-retained'];
const stateOptions = retained === undefined ? {} : { eventsRetainedMax: Number(retained) };
const T0 = 1_700_000_000_000;

function makeEntries(): Entry[] {
  const out: Entry[] = [];
  for (let i = 1; i <= entriesN; i++) {
    const value = new Uint8Array(valueBytes).map((_, j) => (i * 31 + j) & 0xff);
    const key = `bench/key-${String((i * 7919) % keysN).padStart(6, '0')}`;
    const data = encodeCommand({ t: 'kv.set', key, value, flags: 0, cas: null, at: T0 + i });
    out.push({ type: 'normal', term: 1, index: i, data });
  }
  return out;
}

function usPer(ms: number, n: number): string {
  return ((ms * 1000) / n).toFixed(2);
}

async function main(): Promise<void> {
  const entries = makeEntries();
  // A warm-up state, so the JIT has compiled the apply path before the measured run.
  const warm = new ManagementState(stateOptions);
  for (const e of entries.slice(0, 20_000)) warm.apply(e);

  const state = new ManagementState(stateOptions);
  const t0 = performance.now();
  for (const e of entries) state.apply(e);
  const applyMs = performance.now() - t0;
  console.log(
    `apply: ${entriesN} kv.set of ${valueBytes} B over ${keysN} keys: ${applyMs.toFixed(0)} ms, ` +
      `${usPer(applyMs, entriesN)} us/entry`,
  );
  console.log(
    `state: ${state.kv.size()} keys, ${state.events.retainedCount()} events retained ` +
      `(max ${state.events.retainedMax})`,
  );

  for (let round = 0; round < 3; round++) {
    const t1 = performance.now();
    const bytes = state.snapshot();
    const syncMs = performance.now() - t1;
    const t2 = performance.now();
    const view = state.snapshotView();
    const viewMs = performance.now() - t2;
    let longestMs = 0;
    let last = performance.now();
    const t3 = performance.now();
    const sliced = await encodeSnapshotSliced(view, {
      yield: () =>
        new Promise<void>((resolve) => {
          longestMs = Math.max(longestMs, performance.now() - last);
          setImmediate(() => {
            last = performance.now();
            resolve();
          });
        }),
    });
    longestMs = Math.max(longestMs, performance.now() - last);
    const totalMs = performance.now() - t3;
    const same = Buffer.compare(Buffer.from(sliced), Buffer.from(bytes)) === 0;
    console.log(
      `snapshot: ${(bytes.byteLength / 1e6).toFixed(1)} MB; snapshot() in one go ` +
        `${syncMs.toFixed(1)} ms; snapshotView() ${viewMs.toFixed(2)} ms + sliced encode ` +
        `${totalMs.toFixed(1)} ms (longest slice ${longestMs.toFixed(1)} ms); same bytes: ${same}`,
    );
  }
  const t4 = performance.now();
  const verified = state.events.verify();
  console.log(
    `verify: ${state.events.retainedCount()} events in ${(performance.now() - t4).toFixed(1)} ms, ` +
      `ok ${verified.ok}`,
  );
}

await main();
