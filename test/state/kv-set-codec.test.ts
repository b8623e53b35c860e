// The hand-written kv.set codec writes plain msgpack that any reader decodes to the same
// command, and its reader agrees with the generic path (msgpackr + validateCommand) on every
// input it accepts; everything else it hands to the generic path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import {
  AT_MAX_MS,
  CommandError,
  decodeCommand,
  encodeCommand,
  validateCommand,
} from '../../src/state/commands.ts';
import { decodeKvSet, encodeKvSet, type KvSet } from '../../src/state/kv-set-codec.ts';

const plain = new Packr({ useRecords: false, moreTypes: false });

const boundaries = [0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, AT_MAX_MS];

const kvSet = fc.record({
  key: fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.constantFrom(0, 31, 32, 255, 256, 65_535, 65_536).map((n) => 'k'.repeat(n)),
  ),
  value: fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc.constantFrom(0, 255, 256, 65_535, 65_536).map((n) => new Uint8Array(n).fill(7)),
  ),
  flags: fc.oneof(fc.constantFrom(...boundaries.filter((n) => n < 2 ** 32)), fc.nat()),
  cas: fc.option(fc.oneof(fc.constantFrom(...boundaries), fc.nat()), { nil: null }),
  at: fc.oneof(fc.constantFrom(...boundaries), fc.integer({ min: 0, max: AT_MAX_MS })),
});

function asCommand(c: {
  key: string;
  value: Uint8Array;
  flags: number;
  cas: number | null;
  at: number;
}): KvSet & { at: number } {
  return { t: 'kv.set', ...c };
}

test('encoded kv.set decodes to the same command, by the fast reader and by any msgpack reader', () => {
  fc.assert(
    fc.property(kvSet, (fields) => {
      const c = asCommand(fields);
      const bytes = encodeKvSet(c);
      assert.deepEqual(decodeKvSet(bytes), c);
      assert.deepEqual(decodeCommand(bytes), c);
      const generic = validateCommand(plain.unpack(bytes));
      assert.deepEqual(generic, c);
    }),
    { numRuns: 300 },
  );
});

test('encodeCommand uses the fast layout for kv.set; other layouts still decode', () => {
  const c = asCommand({
    key: 'a/b',
    value: Uint8Array.of(1, 2, 3),
    flags: 9,
    cas: 0,
    at: 1_700_000_000_000,
  });
  assert.deepEqual(encodeCommand(c), encodeKvSet(c));
  const msgpackrLayout = plain.pack(c);
  assert.equal(decodeKvSet(msgpackrLayout), null, 'not the fast layout');
  assert.deepEqual(decodeCommand(msgpackrLayout), c);
  const noAt = plain.pack({ t: 'kv.set', key: 'x', value: Uint8Array.of(1), flags: 0, cas: null });
  assert.equal(decodeKvSet(noAt), null);
  assert.deepEqual(decodeCommand(noAt), {
    t: 'kv.set',
    key: 'x',
    value: Uint8Array.of(1),
    flags: 0,
    cas: null,
  });
});

test('the fast reader never accepts what the generic path refuses, nor reads it differently', () => {
  const base = encodeKvSet(
    asCommand({
      key: 'key',
      value: new Uint8Array(40).fill(3),
      flags: 300,
      cas: 70_000,
      at: 2 ** 40,
    }),
  );
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 4,
      }),
      fc.nat(base.length),
      (flips, cut) => {
        const bytes = Uint8Array.from(base);
        for (const [at, v] of flips) bytes[at] = v;
        const mutated = bytes.subarray(0, cut === base.length ? base.length : Math.max(1, cut));
        const fast = decodeKvSet(mutated);
        let generic: unknown;
        try {
          generic = validateCommand(plain.unpack(mutated));
        } catch {
          generic = 'refused';
        }
        if (fast !== null) assert.deepEqual(fast, generic);
      },
    ),
    { numRuns: 2000 },
  );
});

test('truncated or out-of-range kv.set is refused with the field named', () => {
  const good = encodeKvSet(
    asCommand({ key: 'k', value: Uint8Array.of(1), flags: 0, cas: null, at: 5 }),
  );
  for (let n = 0; n < good.length; n++) {
    assert.equal(decodeKvSet(good.subarray(0, n)), null, `cut at ${n}`);
    assert.throws(() => decodeCommand(good.subarray(0, n)), CommandError);
  }
  const late = plain.pack({
    t: 'kv.set',
    key: 'k',
    value: Uint8Array.of(1),
    flags: 0,
    cas: null,
    at: AT_MAX_MS + 1,
  });
  assert.throws(
    () => decodeCommand(late),
    (e: unknown) => e instanceof CommandError && e.field === 'at',
  );
  const trailing = Uint8Array.of(...good, 0);
  assert.equal(decodeKvSet(trailing), null, 'trailing bytes');
});
