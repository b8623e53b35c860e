import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import * as zlib from 'node:zlib';
import { crc32, decodeEntry, encodeEntry, seal, tableCrc32 } from '../../src/storage/codec.ts';
import { confEntry, normal } from './helpers.ts';
import type { Entry } from '../../src/raft/index.ts';

test('crc32 matches the standard CRC-32', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  for (let n = 0; n < 50; n++) {
    const bytes = randomBytes(n * 7);
    assert.equal(crc32(bytes), zlib.crc32(bytes));
    assert.equal(tableCrc32(bytes), zlib.crc32(bytes), 'the fallback for older runtimes agrees');
  }
});

test('entries round-trip as plain values', () => {
  for (const e of [normal(7, 3), confEntry(8, 3), { ...normal(9, 3), data: new Uint8Array() }])
    assert.deepEqual(decodeEntry(encodeEntry(e)), e);
});

test('every single-bit flip in a record is detected', () => {
  const good = encodeEntry(normal(42, 7));
  for (let i = 0; i < good.length; i++) {
    for (let bit = 0; bit < 8; bit++) {
      const bad = Buffer.from(good);
      bad[i] = (bad[i] ?? 0) ^ (1 << bit);
      assert.throws(() => decodeEntry(bad), { name: 'RecordError' }, `byte ${i} bit ${bit}`);
    }
  }
  assert.throws(() => decodeEntry(good.subarray(0, 4)), /truncated/);
});

test('well-formed records of the wrong shape are rejected', () => {
  const shapes = [
    { type: 'normal', term: 1, index: 2 },
    { type: 'normal', term: -1, index: 2, data: new Uint8Array() },
    { type: 'conf', term: 1, index: 2, change: { type: 'grow', node: 'n1' }, config: {} },
    { type: 'other', term: 1, index: 2 },
    'entry',
  ];
  for (const v of shapes) assert.throws(() => decodeEntry(seal(v)), /malformed/, JSON.stringify(v));
});

test('member addresses in configurations and conf changes survive a round trip', () => {
  // Addresses are how nodes find each other after a restart: dropping them strands the cluster.
  const e: Entry = {
    type: 'conf',
    term: 1,
    index: 1,
    change: { type: 'addVoter', node: 'n1', address: '127.0.0.1:12000' },
    config: { voters: ['n1'], learners: [], addresses: { n1: '127.0.0.1:12000' } },
  };
  assert.deepEqual(decodeEntry(encodeEntry(e)), e);
});
