// Our encodings against the real Go encoder/decoder (interop/wire-fixtures serve, built on first
// use): for random messages Go's go-msgpack produces exactly our bytes, Go decodes our bytes to
// the same values, and Go's compress/lzw and ours produce and accept each other's streams.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { GossipMessage } from '../../src/gossip/messages.ts';
import { encodeStruct, type SchemaName } from '../../src/gossip/wire/codec.ts';
import { crc32, lzwCompress, lzwDecompress } from '../../src/gossip/wire/index.ts';
import { GoOracle } from '../interop/go.ts';
import { packetMessageArb, pushNodeStateArb } from './wire-arbitrary.ts';

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const fromHex = (h: unknown): Uint8Array => Uint8Array.from(Buffer.from(String(h), 'hex'));

/** A struct value as Go's encoding/json wants it: bytes as base64, empty bytes as nil. */
function toGoJson(v: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (x instanceof Uint8Array) out[k] = x.length === 0 ? null : Buffer.from(x).toString('base64');
    else if (k === 'Vsn') out[k] = Buffer.from(Uint8Array.from(x as number[])).toString('base64');
    else out[k] = x;
  }
  return out;
}

const b64 = (x: unknown): Buffer => Buffer.from(typeof x === 'string' ? x : '', 'base64');

function fromGoJson(v: Record<string, unknown>, like: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(like)) {
    const g = v[k];
    if (x instanceof Uint8Array) out[k] = g === null ? new Uint8Array(0) : Uint8Array.from(b64(g));
    else if (k === 'Vsn') out[k] = [...b64(g)];
    else out[k] = g;
  }
  return out;
}

const SCHEMA: Partial<Record<GossipMessage['type'], SchemaName>> = {
  ping: 'ping',
  indirectPing: 'indirectPing',
  ackResp: 'ackResp',
  nackResp: 'nackResp',
  err: 'err',
  suspect: 'suspect',
  alive: 'alive',
  dead: 'dead',
};

describe('against Go (go-msgpack 0.5.x, compress/lzw)', () => {
  let go: GoOracle;
  before(async () => {
    go = await GoOracle.start();
  });
  after(() => {
    go.close();
  });

  async function check(schema: SchemaName, value: object): Promise<void> {
    const ours = toHex(encodeStruct(schema, { ...value }).finish());
    const enc = await go.request({ op: 'encode', type: schema, value: toGoJson(value) });
    assert.equal(enc['error'], undefined);
    assert.equal(ours, enc['hex'], `${schema}: Go's bytes are ours`);
    const dec = await go.request({ op: 'decode', type: schema, hex: ours });
    assert.equal(dec['error'], undefined);
    assert.deepEqual(
      fromGoJson(dec['value'] as Record<string, unknown>, value),
      { ...value },
      `${schema}: Go decodes ours`,
    );
  }

  test('random packet messages are byte-identical to Go and decode in Go', async () => {
    const msgs = fc.sample(packetMessageArb, { numRuns: 300, seed: 42 });
    for (const m of msgs) {
      const schema = SCHEMA[m.type];
      if (schema === undefined || m.type === 'user' || m.type === 'pushPull') continue;
      await check(schema, m.body);
    }
  });

  test('push/pull parts and large values (str32 payloads, uint64-sized ints)', async () => {
    for (const n of fc.sample(pushNodeStateArb, { numRuns: 100, seed: 7 }))
      await check('pushNodeState', n);
    await check('pushPullHeader', { Nodes: 3000, UserStateLen: 5_000_000, Join: true });
    await check('userMsgHeader', { UserMsgLen: 2 ** 40 });
    await check('ackResp', { SeqNo: 1, Payload: new Uint8Array(70_000).map((_, i) => i & 0xff) });
  });

  test('LZW: Go inflates ours, we inflate Go, outputs identical', async () => {
    const inputs = fc.sample(fc.uint8Array({ maxLength: 20_000 }), { numRuns: 40, seed: 9 });
    inputs.push(
      new Uint8Array(50_000).map((_, i) => (i % 13) * (i % 7)),
      new Uint8Array(0),
    );
    for (const input of inputs) {
      const ours = lzwCompress(input);
      const back = await go.request({ op: 'lzw-decompress', hex: toHex(ours) });
      assert.equal(back['error'], undefined);
      assert.equal(back['hex'], toHex(input));
      const theirs = await go.request({ op: 'lzw-compress', hex: toHex(input) });
      assert.equal(theirs['hex'], toHex(ours));
      assert.deepEqual(lzwDecompress(fromHex(theirs['hex']), 1 << 20), input);
    }
  });

  test('CRC32 matches hash/crc32.ChecksumIEEE', async () => {
    for (const b of fc.sample(fc.uint8Array({ maxLength: 2000 }), { numRuns: 20, seed: 5 })) {
      const r = await go.request({ op: 'crc32', hex: toHex(b) });
      assert.equal(r['crc'], crc32(b));
    }
  });
});
