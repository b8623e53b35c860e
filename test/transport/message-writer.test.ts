import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { msgpackOut } from '../../src/codec/index.ts';
import type { Message } from '../../src/raft/messages.ts';
import type { Entry } from '../../src/raft/types.ts';
import { decodeMessage, encodeMessage, WireError } from '../../src/transport/index.ts';
import { messageSize, writeMessage } from '../../src/transport/message-writer.ts';
import { arbNormalEntry, arbUint, UINT_EDGES } from '../storage/msgpack-edges.ts';
import { appInCoreOrder, arbMessage } from './helpers.ts';

const packr = new Packr({ useRecords: false });

/** The frame encodeMessage wrote before the fast path: a length prefix, then msgpackr's bytes. */
function genericFrame(m: unknown): Buffer {
  const payload = packr.pack(m);
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(payload.length);
  return Buffer.concat([prefix, payload]);
}

function frameOf(m: Message, max?: number): Buffer {
  const f = encodeMessage(m, max);
  assert.ok(!(f instanceof WireError), 'encodes');
  return f;
}

function sameAsGeneric(m: unknown): void {
  assert.ok(frameOf(m as Message).equals(genericFrame(m)), 'the frame msgpackr would write');
}

// Short ASCII (the fixstr shortcut), 31/32 characters (fixstr/str8), multi-byte, astral and
// lone surrogates (U+FFFD, as msgpackr writes them), and ids of 255/256 UTF-8 bytes.
const id = fc.oneof(
  fc.string({ minLength: 1, maxLength: 40 }),
  fc.string({ minLength: 1, maxLength: 20, unit: 'binary' }),
  fc.constantFrom('x'.repeat(31), 'x'.repeat(32), 'é'.repeat(16), 'a\u{1F600}', 'a\ud800b'),
  fc.constantFrom('x'.repeat(255), 'x'.repeat(256), 'x'.repeat(253) + 'é'),
);

/** AppendEntries in the key order the core builds (spread, then from/term). */
const coreApp = appInCoreOrder(id, arbUint, arbNormalEntry);

const coreAppResp: fc.Arbitrary<Message> = fc
  .tuple(id, id, arbUint, fc.boolean(), arbUint, arbUint, arbUint)
  .map(([from, to, term, success, index, hintIndex, hintTerm]) => ({
    type: 'appResp',
    to,
    success,
    index,
    hintIndex,
    hintTerm,
    from,
    term,
  }));

test('AppendEntries and its response frames are byte for byte what msgpackr writes', () => {
  fc.assert(
    fc.property(fc.oneof(coreApp, coreAppResp), (m) => {
      assert.ok(messageSize(m) > 0, 'takes the fast path');
      const frame = frameOf(m);
      assert.ok(frame.equals(genericFrame(m)));
      const back = decodeMessage(frame.subarray(4));
      assert.ok(!(back instanceof WireError), 'decodes');
      assert.ok(messageSize(back) > 0, 'a decoded message takes the fast path too');
      assert.ok(frameOf(back).subarray(4).equals(packr.pack(back)), 'in its own key order');
    }),
    { numRuns: 300 },
  );
});

test('every message type encodes as msgpackr does, whichever path it takes', () => {
  fc.assert(
    fc.property(arbMessage, (m) => {
      sameAsGeneric(m);
      // Scalar messages and AppendEntries of normal entries are the fast ones.
      const fast =
        m.type !== 'snap' && (m.type !== 'app' || m.entries.every((e) => e.type === 'normal'));
      assert.equal(messageSize(m) >= 0, fast, m.type);
    }),
    { numRuns: 1000 },
  );
});

test('number encodings at every boundary match msgpackr', () => {
  for (const n of UINT_EDGES) {
    const e: Entry = { type: 'normal', term: n, index: n, data: Uint8Array.of(n & 0xff) };
    const base = { type: 'app', from: 'a', to: 'b', term: n, prevIndex: n, prevTerm: n } as const;
    sameAsGeneric({ ...base, entries: [e], commit: n });
  }
});

test('entry arrays switch from fixarray to array16 to array32 as msgpackr does', () => {
  const e: Entry = { type: 'normal', term: 1, index: 2, data: new Uint8Array(0) };
  const base = { type: 'app', from: 'a', to: 'b', term: 1, prevIndex: 1, prevTerm: 1 } as const;
  for (const n of [0, 15, 16, 0xffff, 0x10000]) {
    const m: Message = { ...base, entries: new Array<Entry>(n).fill(e), commit: 1 };
    const size = messageSize(m);
    assert.ok(size > 0, `${String(n)} entries take the fast path`);
    const out = Buffer.alloc(size);
    assert.equal(writeMessage(msgpackOut(out), 0, m), size);
    assert.ok(out.equals(packr.pack(m)), `${String(n)} entries`);
  }
});

test('anything outside the fast shapes takes msgpackr’s path, with the same bytes', () => {
  const data = Uint8Array.of(9);
  const app = { type: 'app', from: 'a', to: 'b', term: 1, prevIndex: 1, prevTerm: 1, commit: 1 };
  const normal = { type: 'normal', term: 1, index: 2, data };
  const conf: Entry = {
    type: 'conf',
    term: 1,
    index: 2,
    change: { type: 'addVoter', node: 'n4', address: '127.0.0.1:1' },
    config: { voters: ['n1'], learners: [], addresses: { n1: '127.0.0.1:1' } },
  };
  const fallbacks: unknown[] = [
    { ...app, entries: [normal, conf] },
    { ...app, entries: [{ term: 1, type: 'normal', index: 2, data }] },
    { ...app, entries: [normal, undefined] },
    { ...app, entries: new Array(2) },
    { ...app, entries: 'none' },
    { ...app, entries: [normal], extra: true },
    { ...app, commit: -1, entries: [] },
    { ...app, commit: 0.5, entries: [] },
    { ...app, commit: undefined, entries: [] },
    { ...app, commit: null, entries: [] },
    { ...app, commit: 2 ** 53, entries: [] },
    { ...app, to: { id: 'b' }, entries: [] },
    Object.assign(Object.create(null) as object, { ...app, entries: [] }),
  ];
  for (const m of fallbacks) {
    assert.equal(messageSize(m as Message), -1);
    sameAsGeneric(m);
  }
});

test('the frame size bound is exact on the fast path', () => {
  const data = new Uint8Array(350).fill(1);
  const entries = Array.from({ length: 23 }, (_, i): Entry => ({
    type: 'normal',
    term: 2,
    index: 100 + i,
    data,
  }));
  const m: Message = {
    type: 'app',
    from: 'n1',
    to: 'n2',
    term: 2,
    prevIndex: 99,
    prevTerm: 2,
    entries,
    commit: 99,
  };
  const size = messageSize(m);
  assert.equal(frameOf(m, size).length, 4 + size, 'a payload of exactly the bound is sent');
  const err = encodeMessage(m, size - 1);
  assert.ok(err instanceof WireError);
  assert.equal(err.code, 'FRAME_TOO_LARGE');
  assert.equal(err.field, 'length');
  const expected = `frame of ${String(size)} bytes exceeds the ${String(size - 1)} byte limit`;
  assert.equal(err.message, expected);
});
