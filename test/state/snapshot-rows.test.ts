// The hand-written snapshot rows are byte for byte what msgpackr writes for the same rows, whole
// snapshots (one go and sliced) stay msgpackr's bytes and restore to what was packed, and a row
// of any other shape takes msgpackr's path without changing a byte.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { msgpackOut } from '../../src/codec/index.ts';
import {
  GENESIS_HASH,
  ManagementState,
  type ChainEvent,
  type KvEntry,
  type SnapshotView,
} from '../../src/state/index.ts';
import {
  decodeSnapshot,
  encodeSnapshot,
  encodeSnapshotSliced,
  SNAPSHOT_VERSION,
  type SnapshotContents,
} from '../../src/state/snapshot-body.ts';
import { eventRowCodec, kvRowCodec, type RowCodec } from '../../src/state/snapshot-rows.ts';
import { mixedLog } from './fixtures.ts';

const msgpackr = new Packr({ useRecords: false, moreTypes: false });

/** Every width msgpackr picks between: fixint, uint8/16/32 and float64. */
const uintBoundaries = [
  0,
  1,
  127,
  128,
  255,
  256,
  65_535,
  65_536,
  2 ** 32 - 1,
  2 ** 32,
  1_700_000_000_000,
  Number.MAX_SAFE_INTEGER,
];
const uint = fc.oneof(fc.constantFrom(...uintBoundaries), fc.nat(), fc.maxSafeNat());

/** Strings around every str header size, in 1-, 2-, 3- and 4-byte UTF-8, lone surrogates too. */
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constantFrom(0, 31, 32, 63, 64, 255, 256, 65_535, 65_536).map((n) => 'k'.repeat(n)),
  fc.constantFrom(15, 16, 17, 127, 128, 32_767, 32_768).map((n) => 'é'.repeat(n)),
  fc.constantFrom(10, 11, 85, 86, 21_845, 21_846).map((n) => '€'.repeat(n)),
  fc.constantFrom('\ud800', 'a\udc00b', `${'x'.repeat(70)}\ud83d`, '😀'.repeat(8), '😀'.repeat(20)),
);

const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.constantFrom(0, 255, 256, 65_535, 65_536).map((n) => new Uint8Array(n).fill(7)),
  fc.uint8Array({ minLength: 4, maxLength: 40 }).map((b) => Buffer.from(b)),
  // A view into a larger buffer, as decoded entries hold their values.
  fc.uint8Array({ minLength: 4, maxLength: 40 }).map((b) => b.subarray(1, b.length - 1)),
);

const kvRow = fc.record({
  key: text,
  value: bytes,
  flags: uint,
  createIndex: uint,
  modifyIndex: uint,
  lockIndex: uint,
});

const scalar = fc.oneof(text, uint, fc.boolean(), fc.constant(null));
const dataValue = fc.oneof(
  scalar,
  fc.array(scalar, { maxLength: 20 }),
  fc.constantFrom(15, 16, 65_535, 65_536).map((n) => new Array<string>(n).fill('t')),
);
const eventRow = fc.record({
  index: uint,
  term: uint,
  time: uint,
  type: fc.constantFrom('kv.set', 'kv.delete', 'member.remove'),
  subject: text,
  data: fc.dictionary(fc.oneof(text, fc.constantFrom('0', '7', 'size')), dataValue, { maxKeys: 5 }),
  prev: fc.oneof(fc.constant(GENESIS_HASH), text),
  hash: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }),
});

/** The codec's bytes for `row`, or null when it leaves the row to msgpackr. */
function handWritten<T>(codec: RowCodec<T>, row: T): Buffer | null {
  const n = codec.size(row);
  if (n < 0) return null;
  const out = msgpackOut(Buffer.alloc(n + 8, 0xee));
  const end = codec.write(out, 0, row);
  assert.equal(end, n, 'wrote the bytes it sized');
  return out.bytes.subarray(0, end);
}

function assertMsgpackrBytes<T>(codec: RowCodec<T>, row: T): void {
  const mine = handWritten(codec, row);
  assert.notEqual(mine, null, 'the codec takes the row');
  assert.deepEqual(mine, Buffer.from(msgpackr.pack(row)));
}

/** fast-check makes some records without a prototype: those msgpackr packs, plain copies here. */
function checkRow<T extends object>(codec: RowCodec<T>, row: T, plain: T): void {
  if (Object.getPrototypeOf(row) === null) assert.equal(codec.size(row), -1);
  assertMsgpackrBytes(codec, plain);
}

test('a kv row is written exactly as msgpackr writes it', () => {
  fc.assert(
    fc.property(kvRow, (row) => checkRow(kvRowCodec, row, { ...row })),
    { seed: 0x5a99e5, numRuns: 400 },
  );
  assertMsgpackrBytes(kvRowCodec, {
    key: 'k',
    value: new Uint8Array(0),
    flags: -0,
    createIndex: 1,
    modifyIndex: 1,
    lockIndex: 0,
  });
});

test('an event row is written exactly as msgpackr writes it, data map included', () => {
  fc.assert(
    fc.property(eventRow, (row) => checkRow(eventRowCodec, row, { ...row, data: { ...row.data } })),
    { seed: 0xe7e27, numRuns: 400 },
  );
});

function kv(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    key: 'a',
    value: Uint8Array.of(1),
    flags: 0,
    createIndex: 1,
    modifyIndex: 2,
    lockIndex: 0,
    ...over,
  };
}

/** Rows msgpackr must pack: each differs from the expected shape in one way. */
function oddKvRows(): unknown[] {
  const missing = kv();
  delete missing['lockIndex'];
  const inherited = Object.assign(Object.create({ lockIndex: 0 }) as object, missing);
  class Row {
    key = 'a';
    value = Uint8Array.of(1);
    flags = 0;
    createIndex = 1;
    modifyIndex = 2;
    lockIndex = 0;
  }
  return [
    kv({ extra: 1 }),
    missing,
    inherited,
    { value: Uint8Array.of(1), key: 'a', flags: 0, createIndex: 1, modifyIndex: 2, lockIndex: 0 },
    kv({ key: 5 }),
    kv({ value: 'bytes' }),
    kv({ value: new Uint16Array([1, 2]) }),
    kv({ value: [1, 2] }),
    kv({ flags: -1 }),
    kv({ flags: 1.5 }),
    kv({ createIndex: 2 ** 53 }),
    kv({ modifyIndex: -(2 ** 40) }),
    kv({ lockIndex: null }),
    kv({ lockIndex: true }),
    Object.assign(Object.create(null) as object, kv()),
    new Row(),
    null,
    'row',
  ];
}

function oddEvents(): unknown[] {
  const event = {
    index: 3,
    term: 1,
    time: 5,
    type: 'kv.txn',
    subject: 'k',
    data: { flags: 0 },
    prev: GENESIS_HASH,
    hash: GENESIS_HASH,
  };
  return [
    { ...event, data: { ops: [{ verb: 'set', key: 'k' }] } },
    { ...event, data: { tags: { a: 'b' } } },
    { ...event, data: { tags: ['a', { b: 1 }] } },
    { ...event, data: { tags: Object.assign(new Array<string>(3), { 0: 'a', 2: 'c' }) } },
    { ...event, data: { tags: Object.assign(['a'], { constructor: Object }) } },
    { ...event, data: { n: -1 } },
    { ...event, data: { n: 0.5 } },
    { ...event, data: { hasOwnProperty: 'x' } },
    { ...event, data: Object.assign(Object.create({ inherited: 1 }) as object, { a: 1 }) },
    { ...event, data: null },
    { ...event, index: -3 },
    { ...event, subject: 7 },
    { ...event, extra: true },
  ];
}

test('rows of any other shape are left to msgpackr', () => {
  for (const [i, row] of oddKvRows().entries()) {
    assert.equal(kvRowCodec.size(row), -1, `kv row ${i}`);
  }
  for (const [i, e] of oddEvents().entries()) assert.equal(eventRowCodec.size(e), -1, `event ${i}`);
});

test('a field inherited from a polluted Object.prototype is not taken for the row own', () => {
  // msgpackr writes own fields only; for-in also lists inherited enumerable ones, after them.
  const missing = kv();
  delete missing['lockIndex'];
  const body = contents([missing, kv()], []);
  Object.defineProperty(Object.prototype, 'lockIndex', {
    value: 0,
    enumerable: true,
    configurable: true,
  });
  try {
    assert.equal(kvRowCodec.size(missing), -1);
    assertMsgpackrBytes(kvRowCodec, kv() as unknown as KvEntry);
    const expected = msgpackr.pack({ version: SNAPSHOT_VERSION, lastApplied: 1, ...body });
    assert.deepEqual(Buffer.from(encodeSnapshot(body, 1)), Buffer.from(expected));
  } finally {
    delete (Object.prototype as Record<string, unknown>)['lockIndex'];
  }
  assert.equal(Object.hasOwn(Object.prototype, 'lockIndex'), false);
});

function contents(kvRows: readonly unknown[], events: readonly unknown[]): SnapshotContents {
  return {
    kvIndex: 9,
    kv: kvRows as KvEntry[],
    membersIndex: 0,
    members: [],
    clusterId: 'c-1',
    eventBase: { hash: GENESIS_HASH, index: 0, time: 0, length: 0 },
    events: events as ChainEvent[],
  };
}

/** encodeSnapshot and encodeSnapshotSliced (yielding after every step) must both be msgpackr's. */
async function assertSnapshotBytes(c: SnapshotContents, lastApplied: number): Promise<Buffer> {
  const expected = Buffer.from(msgpackr.pack({ version: SNAPSHOT_VERSION, lastApplied, ...c }));
  const sync = Buffer.from(encodeSnapshot(c, lastApplied));
  assert.deepEqual(sync, expected);
  const view: SnapshotView = { contents: c, lastApplied };
  const sliced = await encodeSnapshotSliced(view, { sliceMs: 0 });
  assert.deepEqual(Buffer.from(sliced), expected);
  return sync;
}

test('whole snapshots of random rows are msgpackr bytes, one go or sliced, and restore', async () => {
  const snapshot = fc.record({
    kv: fc.array(kvRow, { maxLength: 300 }),
    events: fc.array(eventRow, { maxLength: 300 }),
    lastApplied: uint,
  });
  await fc.assert(
    fc.asyncProperty(snapshot, async ({ kv: rows, events, lastApplied }) => {
      const c = contents(rows, events);
      const bytes = await assertSnapshotBytes(c, lastApplied);
      // Lone surrogates do not survive UTF-8, so the restored strings are compared re-encoded.
      const restored = decodeSnapshot(bytes);
      assert.deepEqual(Buffer.from(msgpackr.pack(restored)), Buffer.from(msgpackr.pack(c)));
      for (const [i, e] of restored.kv.entries()) {
        assert.deepEqual(Buffer.from(e.value), Buffer.from(rows[i]?.value ?? []));
      }
    }),
    { seed: 0x54a9, numRuns: 40 },
  );
});

test('odd rows among ordinary ones keep the snapshot msgpackr bytes', async () => {
  // The odd rows sit between ordinary ones, across chunk boundaries, in both arrays.
  const ordinary = Array.from({ length: 600 }, (_, i) =>
    kv({ key: `k/${i}`, value: new Uint8Array(i % 300).fill(i & 0xff), modifyIndex: i * 977 }),
  );
  const rows: unknown[] = [...ordinary];
  for (const [i, odd] of oddKvRows().entries()) rows.splice(i * 31, 0, odd);
  const events = fc.sample(eventRow, { seed: 7, numRuns: 400 }) as unknown[];
  for (const [i, odd] of oddEvents().entries()) events.splice(i * 41, 0, odd);
  await assertSnapshotBytes(contents(rows, events), 12);
});

test('a state machine snapshot is msgpackr bytes and restores the same state', async () => {
  // A real state: every command type (kv.txn events take msgpackr's path).
  const s = new ManagementState({ eventsRetainedMax: 500 });
  for (const e of mixedLog(700)) s.apply(e);
  const view = s.snapshotView();
  const bytes = await assertSnapshotBytes(view.contents, view.lastApplied);
  assert.deepEqual(decodeSnapshot(bytes), view.contents);
});
