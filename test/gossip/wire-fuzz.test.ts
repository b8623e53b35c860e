// Property tests: whatever arrives, decoders return results or GossipWireErrors and never throw;
// every message we can encode decodes back to itself through every packet and stream layer.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  GossipWireError,
  Keyring,
  StreamDecoder,
  decodeMessage,
  decodePacket,
  encodePackets,
  encodeStream,
  lzwCompress,
  lzwDecompress,
  type WireOptions,
} from '../../src/gossip/wire/index.ts';
import { packetMessageArb, pushPullArb } from './wire-arbitrary.ts';

const keyring = new Keyring(new Uint8Array(16).map((_, i) => i));
const optionsArb: fc.Arbitrary<WireOptions & { crc: boolean }> = fc.record({
  keyring: fc.constantFrom(undefined, keyring),
  compression: fc.boolean(),
  crc: fc.boolean(),
  protocolVersion: fc.constantFrom(1, 2, 5),
});

const mutate = (
  buf: Uint8Array,
  edits: [number, number][],
  cut: number,
  extra: Uint8Array,
): Uint8Array => {
  const out = Uint8Array.from(buf);
  for (const [pos, val] of edits) if (out.length > 0) out[pos % out.length] = val;
  const kept = out.subarray(0, Math.max(0, out.length - cut));
  const res = new Uint8Array(kept.length + extra.length);
  res.set(kept);
  res.set(extra, kept.length);
  return res;
};

describe('wire fuzz', () => {
  test('messages survive encodePackets/decodePacket under every option', () => {
    fc.assert(
      fc.property(
        fc.array(packetMessageArb, { minLength: 1, maxLength: 30 }),
        optionsArb,
        (msgs, o) => {
          const got = encodePackets(msgs, o).flatMap((p) => {
            const r = decodePacket(p, o);
            assert.deepEqual(r.errors, []);
            return r.messages;
          });
          assert.deepEqual(got, msgs);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('messages survive streams, fed in random chunks', () => {
    fc.assert(
      fc.property(
        fc.oneof(packetMessageArb, pushPullArb),
        optionsArb,
        fc.integer({ min: 1, max: 64 }),
        (m, o, chunk) => {
          const bytes = encodeStream(m, o);
          const d = new StreamDecoder(o);
          for (let i = 0; i < bytes.length; i += chunk) d.push(bytes.subarray(i, i + chunk));
          const st = d.result;
          assert.equal(st.state, 'done', st.state === 'error' ? st.error.message : '');
          if (m.type === 'pushPull' || st.state !== 'done') {
            assert.deepEqual(st.state === 'done' ? st.message : undefined, m);
          } else assert.deepEqual(st.message, m);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('random bytes never throw from decodePacket, StreamDecoder, decodeMessage, lzwDecompress', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (buf, withKey) => {
        const o = withKey ? { keyring } : {};
        const r = decodePacket(buf, o);
        for (const e of r.errors) assert.ok(e instanceof GossipWireError);
        const d = new StreamDecoder(o);
        d.push(buf);
        const st = d.end();
        if (st.state === 'error') assert.ok(st.error instanceof GossipWireError);
        try {
          decodeMessage(buf);
        } catch (e) {
          assert.ok(e instanceof GossipWireError);
        }
        try {
          lzwDecompress(buf, 1 << 16);
        } catch (e) {
          assert.ok(e instanceof GossipWireError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('mutated valid packets and streams never throw', () => {
    const edits = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 });
    fc.assert(
      fc.property(
        fc.array(packetMessageArb, { minLength: 1, maxLength: 6 }),
        pushPullArb,
        optionsArb,
        edits,
        fc.nat({ max: 8 }),
        fc.uint8Array({ maxLength: 8 }),
        (msgs, pp, o, e, cut, extra) => {
          for (const p of encodePackets(msgs, o)) {
            const r = decodePacket(mutate(p, e, cut, extra), o);
            for (const err of r.errors) assert.ok(err instanceof GossipWireError);
          }
          const d = new StreamDecoder(o);
          d.push(mutate(encodeStream(pp, o), e, cut, extra));
          const st = d.end();
          if (st.state === 'error') assert.ok(st.error instanceof GossipWireError);
        },
      ),
      { numRuns: 1500 },
    );
  });

  test('LZW round trips arbitrary bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.integer({ min: 1, max: 8 }),
        (buf, alphabet) => {
          const narrow = buf.map((b) => b % (alphabet * 4));
          assert.deepEqual(lzwDecompress(lzwCompress(narrow), 1 << 20), narrow);
        },
      ),
      { numRuns: 300 },
    );
  });
});
