import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Entry } from '../../src/raft/index.ts';
import { decodeEntry, encodeEntry, seal } from '../../src/storage/codec.ts';
import { normalEntrySize } from '../../src/storage/entry-writer.ts';
import { confEntry, normal } from './helpers.ts';
import { arbNormalEntry, DATA_EDGES, UINT_EDGES } from './msgpack-edges.ts';

function sameAsSeal(e: unknown): void {
  const fast = encodeEntry(e as Entry);
  assert.ok(fast.equals(seal(e)), 'encodeEntry writes the bytes seal() writes');
}

test('normal entries are written by hand, byte for byte what seal() writes', () => {
  fc.assert(
    fc.property(arbNormalEntry, (e) => {
      assert.ok(normalEntrySize(e) > 0, 'takes the fast path');
      sameAsSeal(e);
      assert.deepEqual(decodeEntry(encodeEntry(e)), e);
    }),
    { numRuns: 500 },
  );
});

test('every number encoding boundary and bin header size matches msgpackr', () => {
  for (const term of UINT_EDGES) {
    for (const index of UINT_EDGES)
      sameAsSeal({ type: 'normal', term, index, data: Uint8Array.of(1) });
  }
  for (const n of DATA_EDGES) {
    const e: Entry = { type: 'normal', term: 3, index: 9, data: new Uint8Array(n).fill(0xa5) };
    sameAsSeal(e);
    assert.deepEqual(decodeEntry(encodeEntry(e)), e);
  }
  sameAsSeal({ type: 'normal', term: 1, index: 2, data: Buffer.from('a Buffer is bin too') });
  sameAsSeal({ type: 'normal', term: -0, index: 2, data: new Uint8Array(3) });
});

test('entries the core and the record decoder build take the fast path', () => {
  const core = normal(7, 3);
  assert.ok(normalEntrySize(core) > 0);
  const reloaded = decodeEntry(encodeEntry(core));
  assert.ok(normalEntrySize(reloaded) > 0, 'an entry read back from lmdb');
  const noop: Entry = { type: 'normal', term: 2, index: 5, data: new Uint8Array(0) };
  assert.ok(normalEntrySize(noop) > 0, 'a new leader’s empty no-op');
});

test('other shapes fall back to seal() and still round-trip', () => {
  const data = Uint8Array.of(1, 2, 3);
  const fallbacks: unknown[] = [
    confEntry(8, 3),
    { term: 1, type: 'normal', index: 2, data }, // another key order
    { type: 'normal', term: 1, index: 2, data, extra: 1 },
    { type: 'normal', term: 1, index: 2 },
    { type: 'normal', term: 1, index: 2, data: undefined },
    { type: 'normal', term: 1, index: 2, data: Int8Array.of(1, -1) },
    { type: 'normal', term: -1, index: 2, data },
    { type: 'normal', term: 1.5, index: 2, data },
    { type: 'normal', term: 1, index: Number.NaN, data },
    { type: 'normal', term: 1, index: 2 ** 53, data },
    { type: 'normal', term: 1, index: '2', data },
    Object.assign(Object.create(null) as object, { type: 'normal', term: 1, index: 2, data }),
    new (class Custom {
      type = 'normal';
      term = 1;
      index = 2;
      data = data;
    })(),
  ];
  for (const e of fallbacks) {
    assert.equal(normalEntrySize(e as Entry), -1, JSON.stringify(e));
    sameAsSeal(e);
  }
  const conf = confEntry(8, 3);
  assert.deepEqual(decodeEntry(encodeEntry(conf)), conf);
});
