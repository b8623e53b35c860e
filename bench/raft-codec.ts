// Microbenchmark of the per-write Raft codecs, not part of the tests: the lmdb log record of a
// normal entry (encodeEntry), the AppendEntries frame (encodeMessage) and a follower's decoding
// of it (decodeMessage), each against the generic msgpackr path it replaced (seal(), pack +
// length prefix, unpack + schema). Prints µs per entry.
//   npx tsx bench/raft-codec.ts [--entries N] [--data-bytes N] [--rounds N]
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Packr } from 'msgpackr';
import type { Message } from '../src/raft/messages.ts';
import type { Entry } from '../src/raft/types.ts';
import { encodeEntry, seal } from '../src/storage/codec.ts';
import { decodeMessage, decodeMessageGeneric, encodeMessage } from '../src/transport/codec.ts';

const { values: args } = parseArgs({
  options: {
    entries: { type: 'string', default: '23' },
    'data-bytes': { type: 'string', default: '350' },
    rounds: { type: 'string', default: '20000' },
  },
});
const entriesN = Number(args.entries);
const dataBytes = Number(args['data-bytes']);
const rounds = Number(args.rounds);

const packr = new Packr({ useRecords: false });

/** What encodeMessage did before the fast path: msgpackr's bytes behind a length prefix. */
function genericFrame(m: Message): Buffer {
  const payload = packr.pack(m);
  const frame = Buffer.allocUnsafe(4 + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.set(payload, 4);
  return frame;
}

const entries: Entry[] = [];
for (let i = 0; i < entriesN; i++) {
  const data = new Uint8Array(dataBytes).map((_, j) => (i * 31 + j) & 0xff);
  entries.push({ type: 'normal', term: 7, index: 1_000_000 + i, data });
}
// The key order the core builds an AppendEntries with (spread of the message, then from/term).
const app: Message = {
  type: 'app',
  to: 'node-2',
  prevIndex: 999_999,
  prevTerm: 7,
  entries,
  commit: 999_990,
  from: 'node-1',
  term: 7,
};

function time(label: string, perRound: number, run: () => void): number {
  for (let r = 0; r < Math.min(2000, rounds); r++) run(); // warm up
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) run();
  const us = ((performance.now() - t0) * 1000) / (rounds * perRound);
  console.log(`${label.padEnd(44)} ${us.toFixed(3)} µs/entry`);
  return us;
}

let sink = 0;
console.log(`${String(entriesN)} entries of ${String(dataBytes)} bytes, ${String(rounds)} rounds`);
const sealUs = time('encodeEntry, generic (seal)', entriesN, () => {
  for (const e of entries) sink += seal(e).length;
});
const entryUs = time('encodeEntry, fast path', entriesN, () => {
  for (const e of entries) sink += encodeEntry(e).length;
});
const packUs = time('AppendEntries frame, generic (msgpackr)', entriesN, () => {
  sink += genericFrame(app).length;
});
const frameUs = time('AppendEntries frame, fast path', entriesN, () => {
  const f = encodeMessage(app);
  sink += f instanceof Buffer ? f.length : 0;
});
const encoded = encodeMessage(app);
if (!(encoded instanceof Buffer)) throw new Error('the AppendEntries frame does not encode');
const payload = encoded.subarray(4);
const termOf = (m: unknown): number => (m as { term?: number }).term ?? 0;
const unpackUs = time('AppendEntries decode, generic (msgpackr)', entriesN, () => {
  sink += termOf(decodeMessageGeneric(payload));
});
const readUs = time('AppendEntries decode, fast path', entriesN, () => {
  sink += termOf(decodeMessage(payload));
});
console.log(
  `speed-up: record ${(sealUs / entryUs).toFixed(2)}x, frame ${(packUs / frameUs).toFixed(2)}x, ` +
    `decode ${(unpackUs / readUs).toFixed(2)}x`,
);
if (sink === 0) console.log('(nothing encoded)');
