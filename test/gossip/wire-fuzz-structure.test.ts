// Property tests past the msgpack layer: well-formed msgpack whose maps carry memberlist's field
// names with wrong types, out-of-range numbers or missing fields, and packets nested or
// compressed beyond the decoder's bounds. Every one decodes or is refused with a
// GossipWireError; nothing throws anything else, and nothing grows without bound.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import {
  GossipWireError,
  MAX_PACKET_SIZE,
  StreamDecoder,
  compressPayload,
  decodeMessage,
  decodePacket,
  encodeMessage,
  makeCompoundMessage,
} from '../../src/gossip/wire/index.ts';
import { MessageType } from '../../src/gossip/messages.ts';

const fields = [
  'Addr',
  'Algo',
  'Buf',
  'Error',
  'From',
  'Incarnation',
  'Join',
  'Meta',
  'Nack',
  'Name',
  'Node',
  'Nodes',
  'Payload',
  'Port',
  'SeqNo',
  'SourceAddr',
  'SourceNode',
  'SourcePort',
  'State',
  'Target',
  'UserMsgLen',
  'UserStateLen',
  'Vsn',
];

const leaf = fc.oneof(
  fc.integer(),
  fc.constantFrom(-1, 2 ** 32, 2 ** 53, -(2 ** 40), 65_536, 256, 0),
  fc.double(),
  fc.string({ maxLength: 20 }),
  fc.boolean(),
  fc.constant(null),
  fc.uint8Array({ maxLength: 20 }),
);

/** Maps keyed by memberlist's field names (plus strays) with values of any type. */
const bodyArb = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }),
    tie('map'),
  ),
  map: fc.dictionary(
    fc.oneof(fc.constantFrom(...fields), fc.string({ maxLength: 6 })),
    tie('value'),
    {
      maxKeys: 8,
    },
  ),
})).map;

/** Maps whose values mostly fit the field's Go type (so that many decode), some missing. */
const typedBodyArb = fc.record(
  {
    SeqNo: fc.nat({ max: 2 ** 32 - 1 }),
    Incarnation: fc.nat({ max: 2 ** 32 - 1 }),
    Port: fc.nat({ max: 65_535 }),
    SourcePort: fc.nat({ max: 65_535 }),
    Node: fc.string({ maxLength: 8 }),
    From: fc.string({ maxLength: 8 }),
    SourceNode: fc.string({ maxLength: 8 }),
    Error: fc.string({ maxLength: 8 }),
    Addr: fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ maxLength: 16 })),
    Target: fc.uint8Array({ minLength: 4, maxLength: 4 }),
    SourceAddr: fc.uint8Array({ minLength: 4, maxLength: 4 }),
    Meta: fc.uint8Array({ maxLength: 8 }),
    Payload: fc.uint8Array({ maxLength: 8 }),
    Vsn: fc.array(fc.nat({ max: 5 }), { minLength: 6, maxLength: 6 }),
    Nack: fc.boolean(),
  },
  { requiredKeys: ['SeqNo', 'Node', 'Incarnation'] },
);

const packr = new Packr({ useRecords: false, variableMapSize: true });
const typeArb = fc.integer({ min: 0, max: 15 });

function message(type: number, body: unknown): Uint8Array {
  const enc = packr.pack(body);
  const out = new Uint8Array(enc.length + 1);
  out[0] = type;
  out.set(enc, 1);
  return out;
}

/** Runs `f`; passes when it returns or throws a GossipWireError. */
function refusesCleanly(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof GossipWireError, `threw ${String(e)}`);
  }
}

describe('wire fuzz: structure', () => {
  test('msgpack maps with memberlist field names and wrong values never throw', () => {
    fc.assert(
      fc.property(typeArb, bodyArb, (type, body) => {
        const buf = message(type, body);
        refusesCleanly(() => decodeMessage(buf));
        const r = decodePacket(buf);
        for (const e of r.errors) assert.ok(e instanceof GossipWireError);
        const d = new StreamDecoder({});
        d.push(buf);
        const st = d.end();
        if (st.state === 'error') assert.ok(st.error instanceof GossipWireError);
      }),
      { numRuns: 3000 },
    );
  });

  test('a decoded message re-encodes to bytes that decode to it again', () => {
    let decoded = 0;
    fc.assert(
      fc.property(typeArb, typedBodyArb, (type, body) => {
        let m;
        try {
          m = decodeMessage(message(type, body));
        } catch (e) {
          assert.ok(e instanceof GossipWireError);
          return;
        }
        decoded++;
        assert.deepEqual(decodeMessage(encodeMessage(m)), m);
      }),
      { numRuns: 3000 },
    );
    assert.ok(decoded > 100, `only ${String(decoded)} of 3000 bodies decoded`);
  });

  test('nesting past the bound is refused, never recursed into', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
        (depth, compress) => {
          let buf = encodeMessage({ type: 'ping', body: { SeqNo: 1, Node: 'x' } });
          for (let i = 0; i < depth; i++) {
            buf = compress[i] === true ? compressPayload(buf) : makeCompoundMessage([buf]);
          }
          const r = decodePacket(buf);
          for (const e of r.errors) assert.ok(e instanceof GossipWireError);
          assert.ok(r.messages.length <= 1);
          if (r.messages.length === 0) assert.ok(r.errors.length > 0, 'a refused packet says why');
        },
      ),
      { numRuns: 300 },
    );
  });

  test('a compression bomb is refused with an error', () => {
    // 8 MiB of zeros compresses to a few tens of KiB: under the packet bound, far over the
    // decompressed bound.
    const body = new Uint8Array(8 << 20);
    body[0] = MessageType.ping;
    const bomb = compressPayload(body);
    assert.ok(bomb.length <= MAX_PACKET_SIZE, `bomb is ${String(bomb.length)} bytes`);
    const r = decodePacket(bomb);
    assert.deepEqual(r.messages, []);
    assert.ok(r.errors.length > 0 && r.errors.every((e) => e instanceof GossipWireError));
  });
});
