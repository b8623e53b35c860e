// The hand-written AppendEntries reader (src/transport/app-reader.ts) must give exactly what
// msgpackr and the schema give, or step aside (null): for messages the core sends, for every
// other message, and for damaged payloads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Message } from '../../src/raft/messages.ts';
import { readAppMessage } from '../../src/transport/app-reader.ts';
import { decodeMessageGeneric } from '../../src/transport/codec.ts';
import { decodeMessage, encodeMessage, WireError } from '../../src/transport/index.ts';
import { arbNormalEntry, arbUint } from '../storage/msgpack-edges.ts';
import { appInCoreOrder, arbMessage } from './helpers.ts';

function payloadOf(m: Message): Uint8Array {
  const f = encodeMessage(m);
  assert.ok(!(f instanceof WireError), 'encodes');
  return new Uint8Array(f.subarray(4));
}

/** The reader either steps aside or agrees with the generic path; decodeMessage always does. */
function agrees(payload: Uint8Array): Message | null {
  const fast = readAppMessage(payload);
  const generic = decodeMessageGeneric(payload);
  if (fast !== null) assert.deepStrictEqual(fast, generic);
  assert.deepStrictEqual(decodeMessage(payload), generic);
  return fast;
}

const asciiId = fc.string({
  minLength: 1,
  maxLength: 256,
  unit: fc.constantFrom(...'abcxyz019-_.:'),
});

/** AppendEntries as the core builds them, with ids a deployment uses. */
const plainApp = appInCoreOrder(asciiId, arbUint, arbNormalEntry);

test('plain AppendEntries are read by hand, exactly as msgpackr and the schema read them', () => {
  fc.assert(
    fc.property(plainApp, (m) => {
      const fast = agrees(payloadOf(m));
      // Integers beyond 2^53 - 1 are the schema's to refuse; everything else is taken.
      const safe = [m.term, ...Object.values(m).filter((v) => typeof v === 'number')].every((v) =>
        Number.isSafeInteger(v),
      );
      const entriesSafe =
        m.type === 'app' &&
        m.entries.every((e) => Number.isSafeInteger(e.term) && Number.isSafeInteger(e.index));
      if (safe && entriesSafe) assert.notEqual(fast, null, 'taken by the fast reader');
    }),
    { numRuns: 300 },
  );
});

test('every other message, any key order or id, agrees or steps aside', () => {
  fc.assert(
    fc.property(arbMessage, (m) => {
      agrees(payloadOf(m));
    }),
    { numRuns: 400 },
  );
});

test('damaged payloads: truncated, flipped or extended, never a different answer', () => {
  const arbDamage = fc.tuple(plainApp, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat(3));
  fc.assert(
    fc.property(arbDamage, ([m, at, byte, how]) => {
      const p = payloadOf(m);
      const i = at % p.length;
      let damaged: Uint8Array;
      if (how === 0) damaged = p.subarray(0, i);
      else if (how === 1) {
        damaged = new Uint8Array(p);
        damaged[i] = byte;
      } else if (how === 2) damaged = new Uint8Array([...p, byte]);
      else {
        damaged = new Uint8Array(p);
        damaged[i] = (damaged[i] ?? 0) ^ 0x01;
      }
      agrees(damaged);
    }),
    { numRuns: 1500 },
  );
});

test("entries do not alias the frame's bytes", () => {
  const m: Message = {
    type: 'app',
    from: 'n1',
    to: 'n2',
    term: 3,
    prevIndex: 7,
    prevTerm: 2,
    entries: [
      { type: 'normal', term: 3, index: 8, data: new Uint8Array([1, 2, 3]) },
      { type: 'normal', term: 3, index: 9, data: new Uint8Array([4, 5]) },
    ],
    commit: 7,
  };
  const p = payloadOf(m);
  const got = readAppMessage(p);
  assert.ok(got !== null);
  p.fill(0);
  assert.deepStrictEqual(got, m);
});
