// kv.txn: Consul-style transactions applied all together or not at all, in one Raft entry,
// recorded as one event without values, with the same results on every replica.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Packr } from 'msgpackr';
import type { Entry } from '../../src/raft/index.ts';
import {
  canonicalJson,
  CommandError,
  decodeCommand,
  encodeCommand,
  ManagementState,
  parseApplyResult,
  readTxn,
  TXN_RESULT_VALUE_BYTES_MAX,
  type ApplyResult,
  type TxnOp,
} from '../../src/state/index.ts';
import { cmd, kvSet, mixedLog, T0 } from './fixtures.ts';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined): string => new TextDecoder().decode(b ?? undefined);
const txn = (index: number, ops: TxnOp[], at = T0 + index): Entry =>
  cmd(index, { t: 'kv.txn', ops, at });
const set = (key: string, value: string, flags = 0): TxnOp => ({
  verb: 'set',
  key,
  value: bytes(value),
  flags,
});

/** A state with a=1 (index 1), b=2 (index 2), dir/x and dir/y (index 3 and 4). */
function seeded(): ManagementState {
  const s = new ManagementState();
  s.apply(cmd(1, kvSet('a', '1', T0)));
  s.apply(cmd(2, kvSet('b', '2', T0)));
  s.apply(cmd(3, kvSet('dir/x', 'x', T0)));
  s.apply(cmd(4, kvSet('dir/y', 'y', T0)));
  return s;
}

describe('kv.txn apply', () => {
  test('a committed transaction applies every op at its index and answers as Consul', () => {
    // Writes answer their entry without the value; get answers it with the value.
    const s = seeded();
    const r = s.apply(
      txn(5, [
        set('c', 'new', 7),
        { verb: 'cas', key: 'a', value: bytes('1b'), flags: 0, index: 1 },
        { verb: 'delete', key: 'b' },
        { verb: 'check-index', key: 'dir/x', index: 3 },
        { verb: 'get', key: 'c' },
        { verb: 'check-not-exists', key: 'b' },
        { verb: 'delete-tree', key: 'dir/' },
      ]),
    );
    assert.ok(r !== null && typeof r === 'object' && r.ok, JSON.stringify(r));
    assert.deepEqual(
      r.results.map((x) => [x.key, text(x.value), x.flags, x.createIndex, x.modifyIndex]),
      [
        ['c', '', 7, 5, 5],
        ['a', '', 0, 1, 5],
        ['dir/x', '', 0, 3, 3],
        ['c', 'new', 7, 5, 5],
      ],
    );
    assert.equal(r.results[0]?.value, null);
    assert.deepEqual(
      s.kv.all().map((e) => [e.key, text(e.value)]),
      [
        ['a', '1b'],
        ['c', 'new'],
      ],
    );
    assert.equal(s.kv.index, 5);
    const events = s.events.from(5, 10);
    assert.equal(events.length, 1, 'one event for the whole transaction');
    const e = events[0];
    assert.equal(e?.type, 'kv.txn');
    assert.equal(e?.subject, 'c');
    const ops = e?.data['ops'] as readonly Record<string, unknown>[];
    assert.deepEqual(
      ops.map((o) => [o['verb'], o['key']]),
      [
        ['set', 'c'],
        ['set', 'a'],
        ['delete', 'b'],
        ['delete-tree', 'dir/'],
      ],
    );
    assert.equal(ops[0]?.['size'], 3);
    assert.equal(ops[3]?.['deleted'], 2);
    assert.doesNotMatch(canonicalJson(e?.data ?? {}), /"new"|"1b"/, 'no raw values in events');
    assert.equal(s.events.verify().ok, true);
  });

  test('any failed check applies nothing, records no event, and names every failed op', () => {
    // Later ops see earlier ones (set c, then check-not-exists c fails), as in Consul.
    const s = seeded();
    const before = { all: s.kv.all(), index: s.kv.index, events: s.events.length };
    const r = s.apply(
      txn(5, [
        set('new', 'v'),
        { verb: 'delete', key: 'a' },
        { verb: 'delete-tree', key: 'dir/' },
        set('b', 'changed'),
        { verb: 'cas', key: 'b', value: bytes('z'), flags: 0, index: 2 },
        { verb: 'check-not-exists', key: 'new' },
        { verb: 'get', key: 'absent' },
        { verb: 'check-index', key: 'a', index: 1 },
        { verb: 'delete-cas', key: 'dir/x', index: 3 },
      ]),
    );
    assert.deepEqual(r, {
      ok: false,
      errors: [
        { opIndex: 4, what: 'failed to set key "b", index is stale' },
        { opIndex: 5, what: 'key "new" exists' },
        { opIndex: 6, what: `key "absent" doesn't exist` },
        { opIndex: 7, what: `key "a" doesn't exist` },
      ],
    });
    assert.deepEqual(s.kv.all(), before.all, 'every key, value and index as before');
    assert.equal(s.kv.index, before.index);
    assert.deepEqual(
      s.kv.list('dir/').map((e) => e.key),
      ['dir/x', 'dir/y'],
    );
    assert.equal(s.kv.get('new'), undefined);
    assert.equal(s.events.length, before.events, 'no event');
    assert.equal(s.lastApplied, 5, 'the entry is still applied');
    // The table still works normally afterwards.
    assert.ok(s.apply(txn(6, [{ verb: 'check-index', key: 'a', index: 1 }, set('new', 'v')])));
    assert.equal(text(s.kv.get('new')?.value), 'v');
  });

  test('a transaction that changes nothing records no event', () => {
    const s = seeded();
    const count = s.events.length;
    const r = s.apply(
      txn(5, [
        { verb: 'delete', key: 'absent' },
        { verb: 'get', key: 'a' },
      ]),
    );
    assert.ok(r !== null && typeof r === 'object' && r.ok);
    assert.equal(s.events.length, count);
    assert.equal(s.kv.index, 4);
  });

  test('reads past the result bound fail the transaction at the read that crossed it', () => {
    const s = new ManagementState();
    const half = new Uint8Array(TXN_RESULT_VALUE_BYTES_MAX / 2 + 1);
    s.apply(cmd(1, { t: 'kv.set', key: 'big1', value: half, flags: 0, cas: null, at: T0 }));
    s.apply(cmd(2, { t: 'kv.set', key: 'big2', value: half, flags: 0, cas: null, at: T0 }));
    const r = readTxn(s.kv, [
      { verb: 'get', key: 'big1' },
      { verb: 'get-tree', key: 'big' },
    ]);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.errors[0]?.opIndex, 1);
    assert.equal(readTxn(s.kv, [{ verb: 'get', key: 'big1' }]).ok, true);
  });

  test('readTxn answers reads from the table and refuses a transaction that writes', () => {
    const s = seeded();
    const r = readTxn(s.kv, [{ verb: 'get-tree', key: 'dir/' }]);
    assert.deepEqual(r.ok && r.results.map((x) => text(x.value)), ['x', 'y']);
    assert.throws(() => readTxn(s.kv, [set('a', 'x')]), /writes/);
    assert.equal(text(s.kv.get('a')?.value), '1');
  });
});

describe('kv.txn determinism and snapshots', () => {
  /** mixedLog plus transactions that succeed and fail, after it. */
  function log(): Entry[] {
    const out = mixedLog(40);
    let i = out.length;
    for (let n = 0; n < 10; n++) {
      out.push(
        txn(++i, [
          set(`t/${n % 3}`, `v${n}`),
          { verb: 'check-index', key: `k/${n % 7}`, index: n % 2 === 0 ? 0 : i - 3 },
          { verb: 'get-tree', key: 't/' },
        ]),
      );
      out.push(txn(++i, [{ verb: 'delete-tree', key: `t/${n % 2}` }, set('last', `${n}`)]));
    }
    return out;
  }

  test('two replicas applying the same log give the same results, tables and chain', () => {
    // Results also survive the forwarder's msgpack round trip unchanged.
    const packr = new Packr({ useRecords: false, moreTypes: false });
    const a = new ManagementState();
    const b = new ManagementState();
    const entries = log();
    let failed = 0;
    for (const e of entries) {
      const ra = a.apply(e);
      const rb: ApplyResult = parseApplyResult(packr.unpack(packr.pack(b.apply(e))));
      assert.deepEqual(rb, ra, `result of entry ${e.index}`);
      if (ra !== null && typeof ra === 'object' && !ra.ok) failed++;
    }
    assert.ok(failed > 0 && failed < 20, `some transactions fail (${failed})`);
    assert.deepEqual(b.kv.all(), a.kv.all());
    assert.equal(b.events.head, a.events.head);
    assert.ok(a.events.from(0, 1000).some((e) => e.type === 'kv.txn'));
  });

  test('a snapshot taken after transactions restores the same state, and both go on alike', () => {
    const a = new ManagementState();
    const entries = log();
    for (const e of entries) a.apply(e);
    const b = new ManagementState();
    const last = entries.length;
    b.restore({
      meta: { index: last, term: 1, config: { voters: ['n1'], learners: [] } },
      data: a.snapshot(),
    });
    assert.deepEqual(b.kv.all(), a.kv.all());
    assert.equal(b.kv.index, a.kv.index);
    assert.equal(b.events.head, a.events.head);
    assert.deepEqual(b.events.verify(), a.events.verify(), 'txn events hash the same restored');
    assert.equal(b.events.verify().ok, true);
    const next = txn(last + 1, [set('after', 'x'), { verb: 'delete', key: 'last' }]);
    assert.deepEqual(b.apply(next), a.apply(next));
    assert.equal(b.events.head, a.events.head);
    assert.deepEqual(b.kv.all(), a.kv.all());
  });
});

describe('kv.txn decoding', () => {
  const bad: [ops: unknown, field: string][] = [
    [[], 'ops'],
    ['set', 'ops'],
    [Array.from({ length: 65 }, () => ({ verb: 'get', key: 'k' })), 'ops'],
    [[42], 'ops[0]'],
    [
      [
        { verb: 'get', key: 'a' },
        { verb: 'lock', key: 'a' },
      ],
      'ops[1].verb',
    ],
    [[{ verb: 'get', key: '' }], 'ops[0].key'],
    [[{ verb: 'set', key: 'a', value: 'text', flags: 0 }], 'ops[0].value'],
    [[{ verb: 'cas', key: 'a', value: new Uint8Array(0), flags: 0 }], 'ops[0].index'],
    [[{ verb: 'check-index', key: 'a', index: -1 }], 'ops[0].index'],
    [[{ verb: 'set', key: 'a', value: new Uint8Array(0), flags: 0.5 }], 'ops[0].flags'],
  ];
  const packr = new Packr({ useRecords: false, moreTypes: false });
  for (const [ops, field] of bad) {
    test(`a transaction with bad ${field} is refused naming it`, () => {
      assert.throws(
        () => decodeCommand(packr.pack({ t: 'kv.txn', ops, at: T0 })),
        (err: unknown) => err instanceof CommandError && err.field === field,
      );
    });
  }

  test('a valid transaction round-trips through encode and decode, `at` included', () => {
    const ops: TxnOp[] = [set('a', 'x', 3), { verb: 'delete-tree', key: '' }];
    const c = decodeCommand(encodeCommand({ t: 'kv.txn', ops }, () => 123));
    assert.deepEqual(c, { t: 'kv.txn', ops, at: 123 });
  });

  test('a garbled apply result is refused, not mistaken for an answer', () => {
    assert.throws(() => parseApplyResult({ ok: true, results: [{ key: 1 }] }), /results\[0\]/);
    assert.throws(() => parseApplyResult({ ok: 'yes' }), /ok/);
    assert.equal(parseApplyResult(false), false);
    assert.equal(parseApplyResult(undefined), null);
  });
});
