import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Packr } from 'msgpackr';
import type { Entry, Snapshot } from '../../src/raft/index.ts';
import {
  GENESIS_HASH,
  ManagementState,
  SNAPSHOT_VERSION,
  SnapshotFormatError,
} from '../../src/state/index.ts';
import { cmd, kvSet, member, mixedLog, T0 } from './fixtures.ts';

const packr = new Packr({ useRecords: false, moreTypes: false });

function snap(s: ManagementState): Snapshot {
  return {
    meta: { index: s.lastApplied, term: 1, config: { voters: ['n1'], learners: [] } },
    data: s.snapshot(),
  };
}

function fed(entries: readonly Entry[], eventsRetainedMax = 100_000): ManagementState {
  const s = new ManagementState({ eventsRetainedMax });
  for (const e of entries) s.apply(e);
  return s;
}

function restored(from: Snapshot, eventsRetainedMax = 100_000): ManagementState {
  const s = new ManagementState({ eventsRetainedMax });
  s.restore(from);
  return s;
}

test('a snapshot restores every table and the chain exactly, across compaction', () => {
  // InstallSnapshot must give the new replica the same database and the same chain head.
  const log = mixedLog(300);
  const a = fed(log.slice(0, 200), 20);
  const b = restored(snap(a), 20);
  assert.deepEqual(b.kv.all(), a.kv.all());
  assert.deepEqual(b.members.list(), a.members.list());
  assert.equal(b.members.index, a.members.index);
  assert.equal(b.clusterId, 'c-1');
  assert.deepEqual(b.events.export(), a.events.export());
  assert.equal(b.events.head, a.events.head);
  assert.deepEqual(b.events.verify(), a.events.verify());
  assert.equal(b.events.verify().ok, true);
  // Both keep applying the same log and stay identical, and equal to a replica that never
  // compacted or restored anything.
  for (const e of log.slice(200)) {
    a.apply(e);
    b.apply(e);
  }
  const never = fed(log);
  assert.equal(b.events.head, a.events.head);
  assert.equal(b.events.head, never.events.head);
  assert.equal(b.events.length, never.events.length);
  assert.equal(b.events.verify().ok, true);
});

test('a snapshot restores onto a node that retains fewer events', () => {
  // Retention is node-local configuration; the head and count are not.
  const a = fed(mixedLog(150));
  const b = restored(snap(a), 10);
  assert.equal(b.events.retainedCount(), 10);
  assert.equal(b.events.head, a.events.head);
  assert.equal(b.events.length, a.events.length);
  assert.equal(b.events.verify().ok, true);
});

test('a version 1 snapshot restores its keys and starts an empty chain', () => {
  // Snapshots written before version 2 (kv only) still install.
  const v1 = packr.pack({
    version: 1,
    kvIndex: 9,
    kv: [
      {
        key: 'old',
        value: Buffer.from('v'),
        flags: 2,
        createIndex: 4,
        modifyIndex: 9,
        lockIndex: 0,
      },
    ],
    lastApplied: 9,
  });
  const s = fed([cmd(1, member('stale', T0))]);
  s.restore({ meta: { index: 9, term: 2, config: { voters: ['n1'], learners: [] } }, data: v1 });
  assert.equal(new TextDecoder().decode(s.kv.get('old')?.value), 'v');
  assert.equal(s.kv.index, 9);
  assert.equal(s.members.size(), 0);
  assert.equal(s.clusterId, null);
  assert.equal(s.events.length, 0);
  assert.equal(s.events.head, GENESIS_HASH);
  s.apply(cmd(10, kvSet('new', 'x', T0)));
  assert.equal(s.events.from(0, 5)[0]?.prev, GENESIS_HASH);
  assert.deepEqual(s.events.verify(), { ok: true, length: 1, head: s.events.head });
});

test('the snapshot is version 2', () => {
  // The version field tells older code it cannot read this snapshot.
  const body = packr.unpack(new ManagementState().snapshot()) as { version: number };
  assert.equal(body.version, SNAPSHOT_VERSION);
  assert.equal(SNAPSHOT_VERSION, 2);
});

test('a tampered event inside a stored snapshot is reported by verify after restore', () => {
  // Tampering with the snapshot on disk is found on the node that installs it.
  const a = fed(mixedLog(80));
  const body = packr.unpack(a.snapshot()) as { events: { index: number; time: number }[] };
  const victim = body.events[17];
  assert.ok(victim !== undefined);
  victim.time += 1000;
  const b = new ManagementState();
  b.restore({
    meta: { index: a.lastApplied, term: 1, config: oneVoter() },
    data: packr.pack(body),
  });
  const r = b.events.verify();
  assert.ok(!r.ok && r.brokenAt === victim.index, JSON.stringify(r));
});

test('a malformed snapshot is refused and changes nothing', () => {
  // A snapshot from disk or the wire is checked before anything is replaced.
  const s = fed(mixedLog(30));
  const head = s.events.head;
  const body = packr.unpack(s.snapshot()) as Record<string, unknown>;
  const cases: Record<string, unknown>[] = [
    { ...body, version: 3 },
    { ...body, events: 'nope' },
    { ...body, members: [{ id: 'x' }] },
    { ...body, eventBase: { hash: GENESIS_HASH, index: -1, time: 0, length: 0 } },
    { ...body, clusterId: 5 },
  ];
  const datas = [...cases.map((c) => packr.pack(c)), new Uint8Array([0xc1])];
  for (const data of datas) {
    assert.throws(
      () => s.restore({ meta: { index: 99, term: 1, config: oneVoter() }, data }),
      SnapshotFormatError,
    );
    assert.equal(s.events.head, head);
    assert.equal(s.lastApplied, 30);
  }
});

function oneVoter(): Snapshot['meta']['config'] {
  return { voters: ['n1'], learners: [] };
}
