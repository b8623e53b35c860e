import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { KvTable } from '../../src/state/index.ts';

const v = (s: string): Uint8Array => new TextEncoder().encode(s);

test('set records CreateIndex once and moves ModifyIndex on every write', () => {
  // Consul's index semantics: CreateIndex sticks, ModifyIndex follows the last write.
  const t = new KvTable();
  t.set('a', v('1'), 0, null, 5);
  t.set('a', v('2'), 7, null, 9);
  const e = t.get('a');
  assert.equal(e?.createIndex, 5);
  assert.equal(e?.modifyIndex, 9);
  assert.equal(e?.flags, 7);
  assert.equal(t.index, 9);
});

test('cas=0 creates only when absent; cas=N writes only at ModifyIndex N', () => {
  // Check-and-set compares against ModifyIndex and changes nothing when it does not hold.
  const t = new KvTable();
  assert.equal(t.set('a', v('1'), 0, 0, 3), true);
  assert.equal(t.set('a', v('2'), 0, 0, 4), false);
  assert.equal(t.set('a', v('2'), 0, 2, 5), false);
  assert.equal(t.index, 3);
  assert.equal(t.set('a', v('2'), 0, 3, 6), true);
  assert.equal(new TextDecoder().decode(t.get('a')?.value), '2');
  assert.equal(t.set('b', v('x'), 0, 4, 7), false);
  assert.equal(t.get('b'), undefined);
});

test('delete with cas only removes the key at the given ModifyIndex; absent keys succeed', () => {
  // Mirrors Consul: a cas delete of an absent key returns true without changing the index.
  const t = new KvTable();
  t.set('a', v('1'), 0, null, 3);
  assert.equal(t.delete('a', 2, 4), false);
  assert.notEqual(t.get('a'), undefined);
  assert.equal(t.delete('a', 3, 5), true);
  assert.equal(t.get('a'), undefined);
  assert.equal(t.index, 5);
  assert.equal(t.delete('zz', 9, 6), true);
  assert.equal(t.index, 5);
});

test('list and deletePrefix see exactly the keys under a prefix, in order', () => {
  // Prefix queries must match a brute-force filter for any set of keys.
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.string({ maxLength: 4 }), { maxLength: 30 }),
      fc.string({ maxLength: 2 }),
      (keys, prefix) => {
        const t = new KvTable();
        keys.forEach((k, i) => t.set(k, v(k), 0, null, i + 1));
        const expected = keys.filter((k) => k.startsWith(prefix)).sort();
        assert.deepEqual(
          t.list(prefix).map((e) => e.key),
          expected,
        );
        t.deletePrefix(prefix, 1000);
        assert.deepEqual(
          t.all().map((e) => e.key),
          keys.filter((k) => !k.startsWith(prefix)).sort(),
        );
      },
    ),
  );
});

test('a key added or removed after a prefix query shows up in the next query', () => {
  // The sorted key list is cached between queries: every insert and delete must invalidate it.
  const t = new KvTable();
  t.set('a/2', v('x'), 0, null, 1);
  assert.deepEqual(
    t.list('a/').map((e) => e.key),
    ['a/2'],
  );
  t.set('a/1', v('y'), 0, null, 2);
  assert.deepEqual(
    t.list('a/').map((e) => e.key),
    ['a/1', 'a/2'],
  );
  t.delete('a/2', null, 3);
  assert.deepEqual(
    t.list('a/').map((e) => e.key),
    ['a/1'],
  );
  t.set('a/3', v('z'), 0, null, 4);
  t.deletePrefix('a/1', 5);
  assert.deepEqual(
    t.list('a/').map((e) => e.key),
    ['a/3'],
  );
});
