import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Entry } from '../../src/raft/index.ts';
import {
  encodeSnapshotSliced,
  GENESIS_HASH,
  ManagementState,
  type SnapshotView,
} from '../../src/state/index.ts';
import { encodeSnapshot } from '../../src/state/snapshot-body.ts';
import { cmd, kvSet, member, mixedLog, T0 } from './fixtures.ts';

const config = { voters: ['n1'], learners: [] };

function fed(entries: readonly Entry[], eventsRetainedMax = 64): ManagementState {
  const s = new ManagementState({ eventsRetainedMax });
  for (const e of entries) s.apply(e);
  return s;
}

/** Sliced encoding that yields after every chunk, counting the yields. */
async function sliced(view: SnapshotView): Promise<{ bytes: Uint8Array; yields: number }> {
  let yields = 0;
  const bytes = await encodeSnapshotSliced(view, {
    sliceMs: 0,
    yield: () => {
      yields++;
      return new Promise<void>((resolve) => setImmediate(resolve));
    },
  });
  return { bytes, yields };
}

function syntheticView(kvCount: number): SnapshotView {
  const kv = Array.from({ length: kvCount }, (_, i) => ({
    key: `k${i}`,
    value: Uint8Array.of(i & 0xff),
    flags: i % 3,
    createIndex: i + 1,
    modifyIndex: i + 1,
    lockIndex: 0,
  }));
  return {
    contents: {
      kvIndex: kvCount,
      kv,
      membersIndex: 0,
      members: [],
      clusterId: null,
      eventBase: { hash: GENESIS_HASH, index: 0, time: 0, length: 0 },
      events: [],
    },
    lastApplied: kvCount,
  };
}

test('sliced encoding writes the bytes of the one-go encoding', async () => {
  // Slicing changes when the work is done, never what a snapshot holds.
  for (const size of [0, 1, 40, 700]) {
    const s = fed(mixedLog(size));
    const view = s.snapshotView();
    const { bytes } = await sliced(view);
    assert.deepEqual(
      Buffer.from(bytes),
      Buffer.from(encodeSnapshot(view.contents, view.lastApplied)),
      `log of ${size}`,
    );
    assert.deepEqual(Buffer.from(bytes), Buffer.from(s.snapshot()));
  }
});

test('arrays of every msgpack header size encode alike and yield between chunks', async () => {
  // fixarray, array16 and array32 headers: the chunks' own headers are cut off correctly.
  for (const n of [15, 16, 255, 257, 65_535, 65_536, 70_000]) {
    const view = syntheticView(n);
    const { bytes, yields } = await sliced(view);
    assert.deepEqual(
      Buffer.from(bytes),
      Buffer.from(encodeSnapshot(view.contents, view.lastApplied)),
      `${n} entries`,
    );
    if (n > 1000) assert.ok(yields >= Math.floor(n / 256), `${n} entries: ${yields} yields`);
  }
});

test('a view holds exactly its index while applies go on during the encoding', async () => {
  // The agent keeps applying while a snapshot is packed; the snapshot is still the state at
  // the view's index, and restoring it gives that state and chain head exactly.
  const log = mixedLog(400);
  for (let i = 0; i < 200; i++) {
    log.push(cmd(log.length + 1, kvSet(`k/${i % 7}`, `late ${i}`, T0 + i)));
    log.push(cmd(log.length + 1, member(`n${i % 4}`, T0 + i, { memFreeBytes: i })));
  }
  const cut = 300;
  const live = fed(log.slice(0, cut), 50);
  const view = live.snapshotView();
  const encoding = sliced(view);
  // Interleave the remaining applies with the encoding's slices.
  for (const e of log.slice(cut)) {
    live.apply(e);
    if (e.index % 20 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const { bytes, yields } = await encoding;
  assert.ok(yields > 0);
  const atCut = fed(log.slice(0, cut), 50);
  const restored = new ManagementState({ eventsRetainedMax: 50 });
  restored.restore({ meta: { index: cut, term: 1, config }, data: bytes });
  assert.equal(restored.lastApplied, cut);
  assert.deepEqual(sortedKv(restored), sortedKv(atCut));
  assert.equal(restored.kv.index, atCut.kv.index);
  assert.deepEqual(restored.members.list(), atCut.members.list());
  assert.deepEqual(restored.events.export(), atCut.events.export());
  assert.equal(restored.events.head, atCut.events.head);
  assert.notEqual(restored.events.head, live.events.head);
  // Applying the rest brings the restored replica to the live one's head.
  for (const e of log.slice(cut)) restored.apply(e);
  assert.equal(restored.events.head, live.events.head);
  assert.deepEqual(restored.events.verify(), live.events.verify());
});

function sortedKv(s: ManagementState): unknown[] {
  return s.kv.all().map((e) => ({ ...e, value: Buffer.from(e.value).toString('hex') }));
}
