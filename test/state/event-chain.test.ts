import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import {
  canonicalJson,
  CanonicalError,
  GENESIS_HASH,
  ManagementState,
  type ChainEvent,
} from '../../src/state/index.ts';
import { cmd, conf, kvSet, member, mixedLog, noop, T0 } from './fixtures.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function fed(entries: readonly Parameters<ManagementState['apply']>[0][], retainedMax?: number) {
  const s = new ManagementState(
    retainedMax === undefined ? {} : { eventsRetainedMax: retainedMax },
  );
  for (const e of entries) s.apply(e);
  return s;
}

function eventAt(s: ManagementState, index: number): Mutable<ChainEvent> {
  const e: Mutable<ChainEvent> | undefined = s.events.from(index, 1)[0];
  if (e?.index !== index) throw new Error(`no event at ${index}`);
  return e;
}

test('two replicas fed the same entries hold identical chains', () => {
  // Determinism: apply reads no clock, so the chain is a function of the log alone.
  const log = mixedLog(200);
  const a = fed(log);
  const b = fed(log);
  assert.equal(a.events.head, b.events.head);
  assert.deepEqual(a.events.export(), b.events.export());
  assert.ok(a.events.length > 100);
  assert.deepEqual(a.events.verify(), { ok: true, length: a.events.length, head: a.events.head });
});

test('the first event chains from genesis and each next one from its predecessor', () => {
  // prev links every event to the one before it; the first one to 64 zeros.
  const s = fed(mixedLog(30));
  const all = s.events.from(0, 100);
  assert.equal(all[0]?.prev, GENESIS_HASH);
  for (let i = 1; i < all.length; i++) assert.equal(all[i]?.prev, all[i - 1]?.hash);
  assert.equal(s.events.head, all.at(-1)?.hash);
});

test('the hash is SHA-256 of prev bytes and the documented canonical JSON', () => {
  // An outside verifier re-implementing the documented format gets the same hash.
  const s = fed([noop(1), cmd(2, kvSet('k', 'v', T0))]);
  const e = eventAt(s, 2);
  const valueSha = createHash('sha256').update('v').digest('hex');
  const json =
    `{"data":{"flags":0,"sha256":"${valueSha}","size":1},"index":2,` +
    `"prev":"${GENESIS_HASH}","subject":"k","term":1,"time":${T0},"type":"kv.set"}`;
  const expected = createHash('sha256')
    .update(Buffer.alloc(32))
    .update(Buffer.from(json, 'utf8'))
    .digest('hex');
  assert.equal(e.hash, expected);
});

test('canonical JSON sorts keys by code units, escapes as JSON, and refuses non-integers', () => {
  // The format promises RFC 8785 bytes for integers, strings, arrays and objects.
  assert.equal(
    canonicalJson({
      b: 1,
      a: [true, null, 'x"\n\u0001'],
      A: { z: -0, y: -5 },
      é: 'é',
      u: undefined,
    }),
    '{"A":{"y":-5,"z":0},"a":[true,null,"x\\"\\n\\u0001"],"b":1,"é":"é"}',
  );
  assert.equal(canonicalJson({ '\u{1F600}': 1, '\uFFFF': 2 }), '{"\u{1F600}":1,"\uFFFF":2}');
  assert.throws(() => canonicalJson({ x: 1.5 }), CanonicalError);
  assert.throws(() => canonicalJson({ x: 2 ** 53 }), CanonicalError);
  assert.throws(() => canonicalJson({ x: Number.NaN }), CanonicalError);
});

test('changes that change nothing record no event', () => {
  // A failed cas, a delete of an absent key, an identical upsert, a repeated init: no events.
  const s = fed([
    cmd(1, kvSet('k', 'a', T0, 0)),
    cmd(2, member('n1', T0)),
    cmd(3, { t: 'cluster.init', clusterId: 'c', at: T0 }),
  ]);
  const before = s.events.length;
  const head = s.events.head;
  assert.equal(s.apply(cmd(4, kvSet('k', 'b', T0 + 1, 0))), false);
  assert.equal(s.apply(cmd(5, { t: 'kv.delete', key: 'x', recurse: false, cas: null })), true);
  assert.equal(s.apply(cmd(6, { t: 'kv.delete', key: 'x/', recurse: true, cas: null })), true);
  assert.equal(s.apply(cmd(7, member('n1', T0 + 5))), true);
  assert.equal(s.apply(cmd(8, { t: 'cluster.init', clusterId: 'c', at: T0 })), true);
  assert.equal(s.apply(cmd(9, { t: 'cluster.init', clusterId: 'other', at: T0 })), false);
  assert.equal(s.apply(cmd(10, { t: 'member.remove', id: 'ghost', at: T0 })), false);
  s.apply(noop(11));
  assert.equal(s.events.length, before);
  assert.equal(s.events.head, head);
  assert.equal(s.clusterId, 'c');
  assert.equal(s.lastApplied, 11);
});

test('each change records its type, subject and data', () => {
  // The event says what changed, without copying kv values into the chain.
  const s = fed([
    cmd(1, { t: 'cluster.init', clusterId: 'c-9', at: T0 }),
    cmd(2, kvSet('dir/a', 'hello', T0 + 1)),
    cmd(3, kvSet('dir/b', 'x', T0 + 2)),
    cmd(4, { t: 'kv.delete', key: 'dir/', recurse: true, cas: null, at: T0 + 3 }),
    cmd(5, member('n2', T0 + 4, { tags: ['consensus'] })),
    cmd(6, { t: 'member.remove', id: 'n2', at: T0 + 5 }),
    conf(
      7,
      { type: 'addVoter', node: 'n3', address: 'h:1' },
      { voters: ['n1', 'n3'], learners: [] },
    ),
  ]);
  const view = s.events.from(0, 10).map((e) => [e.index, e.type, e.subject, e.data]);
  assert.deepEqual(view, [
    [1, 'cluster.init', 'c-9', { clusterId: 'c-9' }],
    [2, 'kv.set', 'dir/a', { flags: 0, size: 5, sha256: sha('hello') }],
    [3, 'kv.set', 'dir/b', { flags: 0, size: 1, sha256: sha('x') }],
    [4, 'kv.delete', 'dir/', { recurse: true, deleted: 2 }],
    [
      5,
      'member.upsert',
      'n2',
      {
        raftAddr: '127.0.0.1:12000',
        httpAddr: '127.0.0.1:8500',
        gossipAddr: '127.0.0.1:7000',
        tags: ['consensus'],
        cpuFreeMilli: 2000,
        memFreeBytes: 1 << 30,
        status: 'alive',
      },
    ],
    [6, 'member.remove', 'n2', {}],
    [
      7,
      'raft.conf',
      'n3',
      { change: 'addVoter', address: 'h:1', voters: ['n1', 'n3'], learners: [] },
    ],
  ]);
});

test('entries without a time take the previous event time', () => {
  // Conf entries and pre-`at` commands get a time every replica agrees on.
  const s = fed([
    conf(1, { type: 'addLearner', node: 'n2' }, { voters: ['n1'], learners: ['n2'] }),
    cmd(2, kvSet('a', '1', T0)),
    conf(3, { type: 'promote', node: 'n2' }, { voters: ['n1', 'n2'], learners: [] }),
  ]);
  const old = new ManagementState();
  old.apply(cmd(1, kvSet('a', '1', T0)));
  // Craft an entry as an old node wrote it: no at.
  const legacy = { t: 'kv.set', key: 'b', value: new Uint8Array([50]), flags: 0, cas: null };
  const legacyEntry = { type: 'normal' as const, term: 1, index: 2, data: packLegacy(legacy) };
  old.apply(legacyEntry);
  assert.deepEqual(
    s.events.from(0, 10).map((e) => e.time),
    [0, T0, T0],
  );
  assert.equal(eventAt(old, 2).time, T0);
  assert.equal(s.members.size(), 0);
});

test('member rows take their UpdatedAt from the event time', () => {
  // updatedAt is replicated state, so it must not come from the applying node's clock.
  const s = fed([cmd(1, member('n1', T0 + 77))]);
  assert.equal(s.members.get('n1')?.updatedAt, T0 + 77);
});

test('tampering with a stored event is reported at its index', () => {
  // verify() recomputes every hash: a changed field, time, link or hash is found.
  const tamper: [string, (e: Mutable<ChainEvent>) => void, string][] = [
    ['data', (e) => (e.data = { ...e.data, flags: 1 }), 'hash'],
    ['time', (e) => (e.time += 1), 'hash'],
    ['subject', (e) => (e.subject += '!'), 'hash'],
    ['prev', (e) => (e.prev = GENESIS_HASH), 'prev'],
    ['hash', (e) => (e.hash = GENESIS_HASH), 'hash'],
  ];
  for (const [what, change, reason] of tamper) {
    const s = fed(mixedLog(60));
    const target = s.events.from(30, 1)[0]?.index ?? -1;
    change(eventAt(s, target));
    const r = s.events.verify();
    assert.equal(r.ok, false, what);
    assert.ok(
      !r.ok && r.brokenAt === target && r.reason === reason,
      `${what}: ${JSON.stringify(r)}`,
    );
  }
});

test('tampering with the newest event is found too', () => {
  // The last link has no successor to contradict it; its own hash must still be checked.
  const s = fed(mixedLog(40));
  const last = eventAt(s, s.events.lastIndex);
  last.time -= 1;
  const r = s.events.verify();
  assert.ok(!r.ok && r.brokenAt === last.index, JSON.stringify(r));
});

test('compaction keeps the head and count, and verification continues from the base', () => {
  // Memory is bounded, yet the chain is the same chain and still verifies.
  const log = mixedLog(400);
  const full = fed(log);
  const small = fed(log, 25);
  assert.equal(small.events.retainedCount(), 25);
  assert.equal(small.events.length, full.events.length);
  assert.equal(small.events.head, full.events.head);
  assert.deepEqual(small.events.verify(), full.events.verify());
  assert.deepEqual(small.events.from(0, 1000), full.events.from(0, 1000).slice(-25));
  const victim = eventAt(small, small.events.oldestIndex() ?? -1);
  victim.time += 1;
  const r = small.events.verify();
  assert.ok(!r.ok && r.brokenAt === victim.index);
});

test('verifyAsync agrees with verify whatever the chunk size', async () => {
  // The chunked verification used by the API is the same check.
  const s = fed(mixedLog(120));
  assert.deepEqual(await s.events.verifyAsync(7), s.events.verify());
  eventAt(s, s.events.from(50, 1)[0]?.index ?? -1).term = 9;
  assert.deepEqual(await s.events.verifyAsync(7), s.events.verify());
  assert.equal((await s.events.verifyAsync(7)).ok, false);
});

test('any log gives one head whatever the retention, and from() pages in order', () => {
  // Property: retention and paging never change the chain's content.
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 150 }), fc.integer({ min: 1, max: 40 }), (n, keep) => {
      const log = mixedLog(n);
      const a = fed(log);
      const b = fed(log, keep);
      assert.equal(a.events.head, b.events.head);
      assert.equal(a.events.length, b.events.length);
      assert.equal(b.events.verify().ok, true);
      const paged: number[] = [];
      for (let from = 0; ;) {
        const page = a.events.from(from, 4);
        if (page.length === 0) break;
        paged.push(...page.map((e) => e.index));
        from = (page.at(-1)?.index ?? 0) + 1;
      }
      assert.deepEqual(
        paged,
        a.events.from(0, 10_000).map((e) => e.index),
      );
    }),
    { numRuns: 40 },
  );
});

function sha(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function packLegacy(c: object): Uint8Array {
  // msgpack without the at field, as encodeCommand wrote before it existed.
  return new Packr({ useRecords: false, moreTypes: false }).pack(c);
}
