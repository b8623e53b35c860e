import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import type { Message } from '../../src/raft/messages.ts';
import {
  decodeHello,
  decodeInbound,
  decodeMessage,
  encodeAppFrame,
  encodeHello,
  encodeMessage,
  FrameDecoder,
  PROTOCOL_VERSION,
  WireError,
  type WireErrorCode,
} from '../../src/transport/index.ts';
import { appendMessage, arbMessage } from './helpers.ts';

const packr = new Packr({ useRecords: false });

function frameOf(m: Message): Buffer {
  const f = encodeMessage(m);
  assert.ok(!(f instanceof WireError), 'encodes');
  return f;
}

/** Feeds `bytes` to a decoder in pieces cut at `cuts`; returns decoded messages or the error. */
function decodeStream(bytes: Uint8Array, cuts: number[], max = 1 << 20): (Message | WireError)[] {
  const d = new FrameDecoder(max);
  const out: (Message | WireError)[] = [];
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    const { frames, error } = d.push(bytes.subarray(prev, p));
    for (const f of frames) out.push(decodeMessage(f));
    if (error !== null) out.push(error);
    prev = p;
  }
  return out;
}

test('every message type round-trips through a frame', () => {
  fc.assert(
    fc.property(arbMessage, (m) => {
      const d = new FrameDecoder();
      const { frames, error } = d.push(frameOf(m));
      assert.equal(error, null);
      assert.equal(frames.length, 1);
      assert.deepEqual(decodeMessage(frames[0] ?? new Uint8Array()), m);
    }),
    { numRuns: 2000 },
  );
});

test('a stream of frames cut at arbitrary points decodes in order', () => {
  fc.assert(
    fc.property(fc.array(arbMessage, { maxLength: 8 }), fc.array(fc.nat()), (ms, cuts) => {
      const bytes = Buffer.concat(ms.map(frameOf));
      assert.deepEqual(decodeStream(bytes, cuts), ms);
    }),
  );
});

test('decoded bytes are plain Uint8Array copies, not views of the frame', () => {
  const frame = frameOf(appendMessage('a', 'b', 1, 8));
  const m = decodeMessage(frame.subarray(4));
  assert.ok(!(m instanceof WireError) && m.type === 'app');
  const data = m.entries[0]?.type === 'normal' ? m.entries[0].data : null;
  assert.ok(data !== null);
  assert.equal(Object.getPrototypeOf(data), Uint8Array.prototype);
  assert.notEqual(data.buffer, frame.buffer);
});

test('a length prefix over the bound is refused before its payload arrives', () => {
  const d = new FrameDecoder(1024);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(1025);
  const { frames, error } = d.push(header.subarray(0, 2));
  assert.equal(frames.length + (error === null ? 0 : 1), 0);
  const r = d.push(header.subarray(2));
  assert.equal(r.error?.code, 'FRAME_TOO_LARGE');
  assert.equal(d.bufferedBytes, 0);
  assert.equal(d.push(frameOf(appendMessage('a', 'b', 1))).frames.length, 0, 'stays failed');
});

test('encoding refuses a message over the frame bound', () => {
  const r = encodeMessage(appendMessage('a', 'b', 1, 2000), 1024);
  assert.ok(r instanceof WireError);
  assert.equal(r.code, 'FRAME_TOO_LARGE');
});

const valid = { type: 'heartbeat', from: 'a', to: 'b', term: 1, commit: 2, readSeq: 3 };
const entry = { type: 'normal', term: 1, index: 1, data: new Uint8Array(1) };
const app = { type: 'app', from: 'a', to: 'b', term: 1, prevIndex: 0, prevTerm: 0, commit: 0 };
const conf = { type: 'conf', term: 1, index: 2, change: { type: 'addVoter', node: 'c' } };
const cfg = { voters: ['a'], learners: [] };

const cases: [string, unknown, WireErrorCode, string | null][] = [
  ['unknown type', { ...valid, type: 'gossip' }, 'UNKNOWN_TYPE', 'type'],
  ['inherited key as type', { ...valid, type: 'toString' }, 'UNKNOWN_TYPE', 'type'],
  [
    'missing field',
    { type: 'heartbeat', from: 'a', to: 'b', term: 1, commit: 2 },
    'BAD_FIELD',
    'readSeq',
  ],
  ['negative term', { ...valid, term: -1 }, 'BAD_FIELD', 'term'],
  ['fractional index', { ...valid, commit: 1.5 }, 'BAD_FIELD', 'commit'],
  ['unsafe integer', { ...valid, commit: 2 ** 60 }, 'BAD_FIELD', 'commit'],
  ['string number', { ...valid, commit: '2' }, 'BAD_FIELD', 'commit'],
  ['extra field', { ...valid, extra: 1 }, 'BAD_FIELD', 'extra'],
  ['empty node id', { ...valid, from: '' }, 'BAD_FIELD', 'from'],
  ['long node id', { ...valid, to: 'x'.repeat(257) }, 'BAD_FIELD', 'to'],
  ['not a map', [1, 2], 'BAD_FIELD', ''],
  ['bool as number', { ...valid, type: 'voteResp', granted: 1 }, 'BAD_FIELD', 'granted'],
  ['entries not array', { ...app, entries: {} }, 'BAD_FIELD', 'entries'],
  [
    'bad entry type',
    { ...app, entries: [{ ...entry, type: 'blob' }] },
    'BAD_FIELD',
    'entries[0].type',
  ],
  [
    'entry data string',
    { ...app, entries: [{ ...entry, data: 'x' }] },
    'BAD_FIELD',
    'entries[0].data',
  ],
  ['entry extra field', { ...app, entries: [{ ...entry, x: 1 }] }, 'BAD_FIELD', 'entries[0].x'],
  [
    'conf change type',
    {
      ...app,
      entries: [
        { ...conf, change: { type: 'nuke', node: 'c' }, config: { voters: [], learners: [] } },
      ],
    },
    'BAD_FIELD',
    'entries[0].change.type',
  ],
  [
    'config voter id',
    { ...app, entries: [{ ...conf, config: { voters: ['a', ''], learners: [] } }] },
    'BAD_FIELD',
    'entries[0].config.voters[1]',
  ],
  ['conf missing config', { ...app, entries: [conf] }, 'BAD_FIELD', 'entries[0].config'],
  [
    'address on a remove',
    {
      ...app,
      entries: [{ ...conf, change: { type: 'remove', node: 'c', address: 'h:1' }, config: cfg }],
    },
    'BAD_FIELD',
    'entries[0].change.address',
  ],
  [
    'address not a string',
    {
      ...app,
      entries: [{ ...conf, change: { type: 'addVoter', node: 'c', address: 1 }, config: cfg }],
    },
    'BAD_FIELD',
    'entries[0].change.address',
  ],
  [
    'addresses key not a node id',
    { ...app, entries: [{ ...conf, config: { ...cfg, addresses: { '': 'h:1' } } }] },
    'BAD_FIELD',
    'entries[0].config.addresses.',
  ],
  [
    'addresses value not a string',
    {
      type: 'snap',
      from: 'a',
      to: 'b',
      term: 1,
      offset: 0,
      totalBytes: 0,
      data: new Uint8Array(0),
      done: true,
      meta: { index: 1, term: 1, config: { ...cfg, addresses: { a: 5 } } },
    },
    'BAD_FIELD',
    'meta.config.addresses.a',
  ],
  [
    'an app frame where only Raft messages may be',
    { type: 'appFrame', from: 'a', to: 'b', payload: new Uint8Array(1) },
    'UNKNOWN_TYPE',
    'type',
  ],
  ['date as number', { ...valid, commit: new Date(0) }, 'BAD_FIELD', 'commit'],
  [
    'set as bytes',
    { ...app, entries: [{ ...entry, data: new Set([1]) }] },
    'BAD_FIELD',
    'entries[0].data',
  ],
];

for (const [name, value, code, field] of cases) {
  test(`validation: ${name} → ${code}`, () => {
    const r = decodeMessage(packr.pack(value));
    assert.ok(r instanceof WireError, 'rejected');
    assert.equal(r.code, code);
    assert.equal(r.field, field);
  });
}

test('optional fields: explicit undefined counts as absent; "__proto__" cannot set a prototype', () => {
  const change = { type: 'addLearner', node: 'c', address: undefined };
  const config = JSON.parse(
    '{"voters":["a"],"learners":[],"addresses":{"__proto__":"h:1"}}',
  ) as object;
  const r = decodeMessage(packr.pack({ ...app, entries: [{ ...conf, change, config }] }));
  assert.ok(!(r instanceof WireError) && r.type === 'app');
  const e = r.entries[0];
  assert.ok(e?.type === 'conf');
  assert.deepEqual(e.change, { type: 'addLearner', node: 'c' });
  // msgpackr renames the key on decode; what matters is that no prototype was replaced.
  assert.equal(Object.getPrototypeOf(e.config.addresses), Object.prototype);
  assert.equal(Object.keys(e.config.addresses ?? {}).length, 1);
});

test('application frames round-trip through decodeInbound, Raft messages too', () => {
  const f = encodeAppFrame('a', 'b', new Uint8Array([1, 2, 3]));
  assert.ok(!(f instanceof WireError));
  const r = decodeInbound(f.subarray(4));
  assert.deepEqual(r, { type: 'appFrame', from: 'a', to: 'b', payload: new Uint8Array([1, 2, 3]) });
  const m = appendMessage('a', 'b', 1);
  assert.deepEqual(decodeInbound(frameOf(m).subarray(4)), m);
  const extra = decodeInbound(
    packr.pack({ type: 'appFrame', from: 'a', to: 'b', payload: new Uint8Array(0), x: 1 }),
  );
  assert.ok(extra instanceof WireError && extra.field === 'x');
  assert.ok(encodeAppFrame('a', 'b', new Uint8Array(2000), 1024) instanceof WireError);
});

test('bad msgpack: truncated, trailing bytes, empty', () => {
  const payload = packr.pack(valid);
  for (const bad of [
    payload.subarray(0, 5),
    Buffer.concat([payload, Buffer.from([1])]),
    Buffer.alloc(0),
  ]) {
    const r = decodeMessage(bad);
    assert.ok(r instanceof WireError && r.code === 'BAD_MSGPACK');
  }
});

test('hello round-trips; a wrong version or a message in its place is rejected', () => {
  const frame = encodeHello('n1', 'n2');
  assert.deepEqual(decodeHello(frame.subarray(4)), {
    type: 'hello',
    version: PROTOCOL_VERSION,
    from: 'n1',
    to: 'n2',
  });
  const future = decodeHello(packr.pack({ type: 'hello', version: 99, from: 'a', to: 'b', x: 1 }));
  assert.ok(future instanceof WireError && future.code === 'BAD_VERSION');
  const notHello = decodeHello(packr.pack(valid));
  assert.ok(notHello instanceof WireError && notHello.code === 'BAD_HANDSHAKE');
});

/** Decoding any byte stream yields only Messages and WireErrors, and never throws. */
function neverThrows(bytes: Uint8Array, cuts: number[]): void {
  for (const r of decodeStream(bytes, cuts, 1 << 16)) {
    assert.ok(r instanceof WireError || typeof r.type === 'string');
  }
  const direct = decodeMessage(bytes);
  assert.ok(direct instanceof WireError || typeof direct.type === 'string');
  const inbound = decodeInbound(bytes);
  assert.ok(inbound instanceof WireError || typeof inbound.type === 'string');
  const hello = decodeHello(bytes);
  assert.ok(hello instanceof WireError || hello.type === 'hello');
}

test('fuzz: random bytes never throw', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), fc.array(fc.nat()), neverThrows), {
    numRuns: 3000,
  });
});

test('fuzz: mutated valid frames never throw', () => {
  const mutation = fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) });
  fc.assert(
    fc.property(
      fc.array(arbMessage, { minLength: 1, maxLength: 3 }),
      fc.array(mutation, { minLength: 1, maxLength: 6 }),
      fc.nat(),
      fc.array(fc.nat()),
      (ms, mutations, truncate, cuts) => {
        const bytes = Buffer.concat(ms.map(frameOf));
        for (const { at, byte } of mutations) bytes[at % bytes.length] = byte;
        neverThrows(bytes.subarray(0, bytes.length - (truncate % 4)), cuts);
      },
    ),
    { numRuns: 3000 },
  );
});
