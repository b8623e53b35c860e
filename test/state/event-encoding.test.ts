import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import type { Entry } from '../../src/raft/index.ts';
import { eventCanonicalJson, type HashedFields } from '../../src/state/event-encoding.ts';
import {
  canonicalBytes,
  canonicalJson,
  GENESIS_HASH,
  hashEvent,
  ManagementState,
  type CanonicalValue,
  type ChainEvent,
  type EventData,
} from '../../src/state/index.ts';
import { mixedLog } from './fixtures.ts';

/** The encoding as documented: the generic encoder over the whole hashed object. */
function referenceJson(e: HashedFields): string {
  const { data, index, prev, subject, term, time, type } = e;
  return canonicalJson({ data, index, prev, subject, term, time, type });
}

/** The hash as documented, computed with nothing from the fast path. */
function referenceHash(e: HashedFields): string {
  const { data, index, prev, subject, term, time, type } = e;
  return createHash('sha256')
    .update(Buffer.from(prev, 'hex'))
    .update(canonicalBytes({ data, index, prev, subject, term, time, type }))
    .digest('hex');
}

/** Either the encoding or the error's class and message. */
function outcome(f: () => string): string {
  try {
    return `ok ${f()}`;
  } catch (err) {
    return `threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`;
  }
}

// Any UTF-16 code unit, lone surrogates and control characters included.
const anyText = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', maxLength: 24 }),
  fc.string({
    unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
    maxLength: 24,
  }),
);
const hex64 = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((b) => Buffer.from(b).toString('hex'));
const anyInt = fc.oneof(
  fc.integer(),
  fc.constantFrom(0, -0, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER),
  fc.maxSafeInteger(),
);
// Numbers the encoder must refuse, whichever path meets them.
const badNumber = fc.constantFrom(0.5, Number.NaN, Infinity, 2 ** 53, -(2 ** 60));
const kvSetData = fc
  .record({
    flags: fc.oneof(anyInt, badNumber, anyText),
    size: fc.oneof(anyInt, badNumber),
    sha256: fc.oneof(hex64, anyText, anyInt),
  })
  .chain((d) =>
    // The same three members inserted in any order: object key order must not matter.
    fc.shuffledSubarray(Object.keys(d), { minLength: 3, maxLength: 3 }).map((keys) => {
      const out: Record<string, CanonicalValue> = {};
      for (const k of keys) out[k] = d[k as keyof typeof d];
      return out;
    }),
  );
const json: fc.Arbitrary<CanonicalValue> = fc.letrec<{ v: CanonicalValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    anyInt,
    anyText,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(anyText, tie('v'), { maxKeys: 4 }),
  ),
})).v;
const otherData = fc.oneof(
  fc.dictionary(anyText, json, { maxKeys: 6 }) as fc.Arbitrary<EventData>,
  fc.record({ flags: anyInt, size: anyInt }) as fc.Arbitrary<EventData>,
  fc.record({
    flags: anyInt,
    size: anyInt,
    sha256: anyText,
    extra: json,
  }) as fc.Arbitrary<EventData>,
);
const anyEvent: fc.Arbitrary<HashedFields> = fc.record({
  index: fc.oneof(anyInt, badNumber),
  term: anyInt,
  time: fc.oneof(anyInt, badNumber),
  type: fc.oneof(fc.constantFrom('kv.set', 'kv.delete', 'raft.conf'), anyText),
  subject: anyText,
  data: fc.oneof(kvSetData, otherData),
  prev: fc.oneof(fc.constant(GENESIS_HASH), hex64),
}) as fc.Arbitrary<HashedFields>;

test('the event encoder writes the generic canonical bytes for any event, or fails alike', () => {
  // The fast path is an implementation of the documented encoding, never a second format.
  fc.assert(
    fc.property(anyEvent, (e) => {
      assert.equal(
        outcome(() => eventCanonicalJson(e)),
        outcome(() => referenceJson(e)),
      );
    }),
    { numRuns: 3000 },
  );
});

test('hashEvent is SHA-256 of the prev bytes and the generic encoding', () => {
  // What an outside verifier computes from the documentation is what the log stores.
  fc.assert(
    fc.property(anyEvent, (e) => {
      assert.equal(
        outcome(() => hashEvent(e)),
        outcome(() => referenceHash(e)),
      );
    }),
    { numRuns: 1000 },
  );
});

test('the nesting bound counts from the event, as in the generic encoder', () => {
  // data sits one level inside the event, so the deepest data allowed is one level shallower.
  const nested = (depth: number): CanonicalValue => (depth === 0 ? 1 : [nested(depth - 1)]);
  for (const depth of [29, 30, 31, 32, 33]) {
    const e: HashedFields = {
      index: 1,
      term: 1,
      time: 0,
      type: 'kv.set',
      subject: 'k',
      data: { deep: nested(depth) },
      prev: GENESIS_HASH,
    };
    assert.equal(
      outcome(() => eventCanonicalJson(e)),
      outcome(() => referenceJson(e)),
      `depth ${depth}`,
    );
  }
});

test('applied events carry the hashes the reference implementation computes', () => {
  // Every event type the state machine records, hashed on the fast path, checked slowly.
  const s = new ManagementState();
  for (const e of mixedLog(300)) s.apply(e);
  const events = s.events.export().events;
  assert.ok(events.length > 150);
  for (const e of events) assert.equal(e.hash, referenceHash(e), `event ${e.index}`);
});

test('a version 2 snapshot hashed by the generic encoder restores and verifies', () => {
  // Snapshots written before the fast path keep their stored hashes; they must still verify
  // and the chain continues from them with the same head a never-restored replica has.
  const log: Entry[] = mixedLog(200);
  const fresh = new ManagementState();
  for (const e of log.slice(0, 150)) fresh.apply(e);
  // Re-hash every event with the reference implementation, as the old code did.
  let prev = GENESIS_HASH;
  const events: ChainEvent[] = fresh.events.export().events.map((e) => {
    const unhashed = { ...e, prev };
    const hash = referenceHash(unhashed);
    prev = hash;
    return { ...unhashed, hash };
  });
  const packr = new Packr({ useRecords: false, moreTypes: false });
  const data = packr.pack({
    version: 2,
    lastApplied: fresh.lastApplied,
    kvIndex: fresh.kv.index,
    kv: fresh.kv.all(),
    membersIndex: fresh.members.index,
    members: fresh.members.list(),
    clusterId: fresh.clusterId,
    eventBase: { hash: GENESIS_HASH, index: 0, time: 0, length: 0 },
    events,
  });
  const old = new ManagementState();
  old.restore({
    meta: { index: fresh.lastApplied, term: 1, config: { voters: ['n1'], learners: [] } },
    data,
  });
  assert.deepEqual(old.events.verify(), { ok: true, length: events.length, head: prev });
  assert.equal(old.events.head, fresh.events.head);
  for (const e of log.slice(150)) {
    old.apply(e);
    fresh.apply(e);
  }
  assert.equal(old.events.head, fresh.events.head);
  assert.equal(old.events.verify().ok, true);
});
