// The gossip metadata codec: round trips, always within memberlist's 512-byte limit (dropping
// trailing tags, then the leader hint, and saying so), and null for anything not ours.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decodeMeta, encodeMeta, META_MAX_BYTES, type AgentMeta } from '../../src/cluster/meta.ts';

const base: AgentMeta = {
  nodeId: 'node1',
  raftAddr: '127.0.0.1:12000',
  httpAddr: '127.0.0.1:11000',
  tags: ['consensus'],
  cpuFreeMilli: 1500,
  memFreeBytes: 2 ** 33,
  bootstrapExpect: 3,
  hasState: false,
  clusterId: null,
  leaderId: null,
};

const idArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/);
const tagArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);
const metaArb: fc.Arbitrary<AgentMeta> = fc.record({
  nodeId: idArb,
  raftAddr: fc.constantFrom('127.0.0.1:12000', '[::1]:1', '10.255.255.255:65535'),
  httpAddr: fc.constantFrom('127.0.0.1:11000', 'host.example:80'),
  tags: fc.array(tagArb, { maxLength: 32 }),
  cpuFreeMilli: fc.nat(),
  memFreeBytes: fc.maxSafeNat(),
  bootstrapExpect: fc.nat(99),
  hasState: fc.boolean(),
  clusterId: fc.option(fc.uuid(), { nil: null }),
  leaderId: fc.option(idArb, { nil: null }),
});

describe('gossip metadata codec', () => {
  test('round-trips every field', () => {
    const full = { ...base, clusterId: 'c0ffee', leaderId: 'node2', hasState: true };
    const enc = encodeMeta(full);
    assert.equal(enc.droppedTags, 0);
    assert.equal(enc.droppedLeader, false);
    assert.deepEqual(decodeMeta(enc.bytes), full);
  });

  test('any valid meta encodes within 512 bytes and decodes to itself minus what was dropped', () => {
    fc.assert(
      fc.property(metaArb, (m) => {
        const enc = encodeMeta(m);
        assert.ok(enc.bytes.byteLength <= META_MAX_BYTES, `${enc.bytes.byteLength} bytes`);
        const back = decodeMeta(enc.bytes);
        assert.ok(back !== null);
        assert.deepEqual(back.tags, m.tags.slice(0, m.tags.length - enc.droppedTags));
        assert.equal(back.leaderId, enc.droppedLeader ? null : m.leaderId);
        assert.deepEqual({ ...back, tags: [], leaderId: null }, { ...m, tags: [], leaderId: null });
      }),
      { numRuns: 300 },
    );
  });

  test('too many tags: trailing ones are dropped deterministically, and reported', () => {
    const tags = Array.from({ length: 32 }, (_, i) => `tag-${i}-${'x'.repeat(40)}`);
    const m = { ...base, tags };
    const a = encodeMeta(m);
    const b = encodeMeta(m);
    assert.ok(a.droppedTags > 0);
    assert.ok(a.bytes.byteLength <= META_MAX_BYTES);
    assert.deepEqual(a, b);
    assert.deepEqual(decodeMeta(a.bytes)?.tags, tags.slice(0, 32 - a.droppedTags));
  });

  test('foreign metadata is null: empty, Consul serf tags, plain text, other versions', () => {
    assert.equal(decodeMeta(new Uint8Array(0)), null);
    assert.equal(decodeMeta(Uint8Array.of(0xff, 0x81, 0xa4, 0x72, 0x6f, 0x6c, 0x65)), null);
    assert.equal(decodeMeta(new TextEncoder().encode('hello memberlist')), null);
    const enc = encodeMeta(base).bytes.slice();
    enc[2] = 2;
    assert.equal(decodeMeta(enc), null);
    assert.equal(decodeMeta(new Uint8Array(META_MAX_BYTES + 1)), null);
  });

  test('garbage and mutated metadata never throw; what decodes is well-formed', () => {
    const valid = encodeMeta({ ...base, clusterId: 'x', leaderId: 'y' }).bytes;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 600 }),
          fc
            .tuple(fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.nat(valid.length - 1))
            .map(([noise, at]) => {
              const b = valid.slice();
              b.set(noise.subarray(0, b.length - at), at);
              return b;
            }),
          fc.nat(valid.length).map((n) => valid.slice(0, n)),
        ),
        (bytes) => {
          const m = decodeMeta(bytes);
          if (m === null) return;
          assert.equal(typeof m.nodeId, 'string');
          assert.ok(Array.isArray(m.tags));
          assert.ok(Number.isSafeInteger(m.memFreeBytes) && m.memFreeBytes >= 0);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
