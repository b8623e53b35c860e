// Unit tests of the memberlist wire layer: go-msgpack's exact forms, struct decoding rules and
// typed errors, compound framing and packing, CRC, LZW, AES-GCM and the keyring, streams.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { GossipMessage } from '../../src/gossip/messages.ts';
import {
  GossipWireError,
  Keyring,
  MAX_STREAM_BYTES,
  StreamDecoder,
  crc32,
  decodeCompoundMessage,
  decodeMessage,
  decodePacket,
  decryptPayload,
  encodeMessage,
  encodePackets,
  encodeStream,
  encryptPayload,
  encryptedLength,
  lzwCompress,
  lzwDecompress,
  makeCompoundMessage,
  packMessages,
  wrapPacket,
} from '../../src/gossip/wire/index.ts';
import { MpWriter } from '../../src/gossip/wire/msgpack.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));

function wireError(fn: () => unknown): GossipWireError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof GossipWireError, `expected GossipWireError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a GossipWireError');
}

describe('msgpack forms go-msgpack writes', () => {
  test('unsigned integers use the smallest uint form, never int forms', () => {
    const enc = (n: number): string => {
      const w = new MpWriter();
      w.uint(n);
      return hex(w.finish());
    };
    assert.equal(enc(0), '00');
    assert.equal(enc(127), '7f');
    assert.equal(enc(128), 'cc80');
    assert.equal(enc(255), 'ccff');
    assert.equal(enc(256), 'cd0100');
    assert.equal(enc(65535), 'cdffff');
    assert.equal(enc(65536), 'ce00010000');
    assert.equal(enc(0xffffffff), 'ceffffffff');
    assert.equal(enc(0x100000000), 'cf0000000100000000');
  });

  test('strings and bytes: fixstr < 32, then str16 (no str8), then str32', () => {
    const enc = (n: number): string => {
      const w = new MpWriter();
      w.raw(new Uint8Array(n));
      return hex(w.finish()).slice(0, 10);
    };
    assert.equal(enc(0), 'a0');
    assert.equal(enc(31).slice(0, 2), 'bf');
    assert.equal(enc(32).slice(0, 6), 'da0020');
    assert.equal(enc(255).slice(0, 6), 'da00ff');
    assert.equal(enc(65535).slice(0, 6), 'daffff');
    assert.equal(enc(65536), 'db00010000');
  });

  test('struct keys are sorted by name; omitempty fields are left out; nil bytes are c0', () => {
    const ping = encodeMessage({ type: 'ping', body: { SeqNo: 1, Node: 'a' } });
    assert.equal(hex(ping), '0082a44e6f6465a161a55365714e6f01');
    const ack = encodeMessage({ type: 'ackResp', body: { SeqNo: 9, Payload: new Uint8Array(0) } });
    assert.equal(hex(ack), '0282a75061796c6f6164c0a55365714e6f09');
    const alive = encodeMessage({
      type: 'alive',
      body: {
        Incarnation: 1,
        Node: 'n',
        Addr: Uint8Array.of(127, 0, 0, 1),
        Port: 7946,
        Meta: new Uint8Array(0),
        Vsn: [1, 5, 2, 0, 0, 0],
      },
    });
    // Vsn ([]uint8) is a raw string, not an array.
    assert.equal(
      hex(alive),
      '0486a441646472a47f000001ab496e6361726e6174696f6e01a44d657461c0a44e6f6465a16ea4506f7274cd1f0aa356736ea6010502000000',
    );
  });
});

describe('struct decoding', () => {
  test('round trip of every packet message type', () => {
    const msgs: GossipMessage[] = [
      {
        type: 'ping',
        body: {
          SeqNo: 5,
          Node: 'b',
          SourceAddr: Uint8Array.of(10, 0, 0, 1),
          SourcePort: 7946,
          SourceNode: 'a',
        },
      },
      {
        type: 'indirectPing',
        body: { SeqNo: 6, Target: Uint8Array.of(1, 2, 3, 4), Port: 1, Node: 'c', Nack: true },
      },
      { type: 'ackResp', body: { SeqNo: 7, Payload: Uint8Array.of(1, 2) } },
      { type: 'nackResp', body: { SeqNo: 8 } },
      { type: 'err', body: { Error: 'boom' } },
      { type: 'suspect', body: { Incarnation: 1, Node: 'x', From: 'y' } },
      {
        type: 'alive',
        body: {
          Incarnation: 2,
          Node: 'x',
          Addr: Uint8Array.of(1, 1, 1, 1),
          Port: 3,
          Meta: Uint8Array.of(9),
          Vsn: [1, 5, 2, 0, 0, 0],
        },
      },
      { type: 'dead', body: { Incarnation: 3, Node: 'x', From: 'x' } },
      { type: 'user', body: Uint8Array.of(1, 2, 3) },
    ];
    for (const m of msgs) assert.deepEqual(decodeMessage(encodeMessage(m)), m);
  });

  test('liberal like go-msgpack: str8/bin for bytes, int forms, unknown keys skipped, nil and missing are zero', () => {
    // ackResp as {"Extra": [1,2], "SeqNo": int8 5, "Payload": bin8 "hi"}
    const body = '83a54578747261920102a55365714e6fd005a75061796c6f6164c4026869';
    assert.deepEqual(decodeMessage(unhex(`02${body}`)), {
      type: 'ackResp',
      body: { SeqNo: 5, Payload: Uint8Array.of(0x68, 0x69) },
    });
    // alive with only Node (str8) and Vsn as an array of ints
    const alive = decodeMessage(unhex('0482a44e6f6465d9016ea356736e93010203'));
    assert.deepEqual(alive, {
      type: 'alive',
      body: {
        Incarnation: 0,
        Node: 'n',
        Addr: new Uint8Array(0),
        Port: 0,
        Meta: new Uint8Array(0),
        Vsn: [1, 2, 3],
      },
    });
    // nil values
    assert.deepEqual(decodeMessage(unhex('0582ab496e6361726e6174696f6ec0a44e6f6465c0')), {
      type: 'dead',
      body: { Incarnation: 0, Node: '', From: '' },
    });
  });

  test('typed errors name the field', () => {
    const neg = wireError(() => decodeMessage(unhex('0081a55365714e6fff'))); // SeqNo -1
    assert.equal(neg.code, 'range');
    assert.equal(neg.field, 'ping.SeqNo');
    const port = wireError(() => decodeMessage(unhex('0481a4506f7274ce00010000'))); // Port 65536
    assert.equal(port.code, 'range');
    assert.equal(port.field, 'alive.Port');
    const str = wireError(() => decodeMessage(unhex('0081a44e6f646507'))); // Node: 7
    assert.equal(str.code, 'type');
    assert.equal(str.field, 'ping.Node');
    const float = wireError(() => decodeMessage(unhex('0281a55365714e6fcb3ff0000000000000')));
    assert.equal(float.code, 'type');
    assert.equal(wireError(() => decodeMessage(unhex('0090'))).code, 'type'); // array, not a map
    assert.equal(wireError(() => decodeMessage(unhex('0082a4'))).code, 'truncated');
    assert.equal(wireError(() => decodeMessage(unhex('00c1'))).code, 'malformed');
    assert.equal(wireError(() => decodeMessage(unhex('07'))).code, 'unknown-type');
    assert.equal(wireError(() => decodeMessage(unhex('2a'))).code, 'unknown-type');
    assert.equal(wireError(() => decodeMessage(new Uint8Array(0))).code, 'truncated');
    // a map claiming 65535 entries in 3 bytes is truncated, and allocates nothing
    assert.equal(wireError(() => decodeMessage(unhex('00deffff'))).code, 'truncated');
  });

  test('encoding rejects values outside the Go type', () => {
    assert.equal(
      wireError(() => encodeMessage({ type: 'nackResp', body: { SeqNo: -1 } })).code,
      'invalid',
    );
    assert.equal(
      wireError(() => encodeMessage({ type: 'nackResp', body: { SeqNo: 2 ** 32 } })).code,
      'invalid',
    );
    const bigMeta = {
      Incarnation: 1,
      Node: 'n',
      Addr: Uint8Array.of(1, 2, 3, 4),
      Port: 1,
      Meta: new Uint8Array(513),
      Vsn: [1, 5, 2, 0, 0, 0],
    };
    assert.equal(
      wireError(() => encodeMessage({ type: 'alive', body: bigMeta })).field,
      'alive.Meta',
    );
    const vsn = { ...bigMeta, Meta: new Uint8Array(0), Vsn: [256] };
    assert.equal(wireError(() => encodeMessage({ type: 'alive', body: vsn })).field, 'alive.Vsn');
  });
});

describe('compound messages and packing', () => {
  test('layout: [7][count][uint16 BE lengths][bodies]', () => {
    const c = makeCompoundMessage([Uint8Array.of(1, 2), Uint8Array.of(3)]);
    assert.equal(hex(c), '07020002000101020' + '3');
    const d = decodeCompoundMessage(c.subarray(1));
    assert.deepEqual(d.parts.map(hex), ['0102', '03']);
    assert.equal(d.truncated, 0);
  });

  test('truncated parts are counted, not fatal', () => {
    const c = makeCompoundMessage([Uint8Array.of(1, 2), Uint8Array.of(3, 4, 5)]);
    const d = decodeCompoundMessage(c.subarray(1, c.length - 1));
    assert.equal(d.parts.length, 1);
    assert.equal(d.truncated, 1);
    assert.equal(wireError(() => decodeCompoundMessage(unhex('05'))).code, 'truncated');
  });

  test('packMessages fits the room and never exceeds 127 parts (Go wraps at 128)', () => {
    const msgs = Array.from({ length: 600 }, (_, i) => new Uint8Array(1 + (i % 5)).fill(i & 0xff));
    const packed = packMessages(msgs, 1400);
    for (const p of packed) assert.ok(p.length <= 1400, `packet of ${String(p.length)}`);
    let n = 0;
    for (const p of packed) {
      if (p[0] === 7) {
        assert.ok((p[1] ?? 0) <= 127);
        n += decodeCompoundMessage(p.subarray(1)).parts.length;
      } else n += 1;
    }
    assert.equal(n, 600);
    assert.ok(packed.some((p) => p[0] === 7 && p[1] === 127));
    const big = new Uint8Array(3000).fill(4);
    const packed2 = packMessages([Uint8Array.of(4, 1), big, Uint8Array.of(4, 2)], 1400);
    assert.equal(packed2.length, 3);
    assert.equal(packed2[1], big, 'an oversized message goes alone, unchanged');
  });

  test('encodePackets budget accounts for CRC and encryption overhead', () => {
    const keyring = new Keyring(new Uint8Array(16).fill(1));
    const msgs: GossipMessage[] = Array.from({ length: 80 }, (_, i) => ({
      type: 'suspect',
      body: { Incarnation: i, Node: `node-with-a-long-name-${String(i)}`, From: 'someone-else' },
    }));
    const packets = encodePackets(msgs, { keyring, crc: true }, 1400);
    assert.ok(packets.length > 1);
    const got: GossipMessage[] = [];
    for (const p of packets) {
      assert.ok(p.length <= 1400);
      const r = decodePacket(p, { keyring });
      assert.deepEqual(r.errors, []);
      assert.equal(r.crc, true);
      assert.equal(r.encrypted, true);
      got.push(...r.messages);
    }
    assert.deepEqual(got, msgs);
  });
});

describe('CRC', () => {
  test('IEEE check value', () => {
    assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  });

  test('hasCrcMsg header is checked', () => {
    const p = wrapPacket(encodeMessage({ type: 'nackResp', body: { SeqNo: 1 } }), { crc: true });
    assert.equal(p[0], 12);
    assert.deepEqual(decodePacket(p).messages, [{ type: 'nackResp', body: { SeqNo: 1 } }]);
    const bad = p.slice();
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 1;
    const r = decodePacket(bad);
    assert.equal(r.messages.length, 0);
    assert.equal(r.errors[0]?.code, 'crc');
  });
});

describe('LZW', () => {
  test('round trips, including past the 4096-code table reset', () => {
    const inputs = [
      new Uint8Array(0),
      Uint8Array.of(7),
      new Uint8Array(100_000).map((_, i) => ((i * 7919) % 251) ^ (i >> 9)),
    ];
    for (const input of inputs) assert.deepEqual(lzwDecompress(lzwCompress(input), 1 << 20), input);
  });

  test('errors: no end code, invalid code, output bound', () => {
    const c = lzwCompress(new TextEncoder().encode('hello hello hello'));
    assert.equal(
      wireError(() => lzwDecompress(c.subarray(0, c.length - 2), 1000)).code,
      'truncated',
    );
    // clear (256), then code 300 which is not defined
    assert.equal(
      wireError(() => lzwDecompress(Uint8Array.of(0x00, 0x59, 0x02, 0x00), 1000)).code,
      'malformed',
    );
    const bomb = lzwCompress(new Uint8Array(200_000));
    assert.ok(bomb.length < 2000);
    assert.equal(wireError(() => lzwDecompress(bomb, 65536)).code, 'too-large');
  });

  test('compressed packets are only used when smaller', () => {
    const small = encodeMessage({ type: 'nackResp', body: { SeqNo: 1 } });
    assert.deepEqual(wrapPacket(small, { compression: true }), small);
    const big = encodeMessage({ type: 'user', body: new Uint8Array(1000).fill(65) });
    const p = wrapPacket(big, { compression: true });
    assert.equal(p[0], 9);
    assert.deepEqual(decodePacket(p).messages, [
      { type: 'user', body: new Uint8Array(1000).fill(65) },
    ]);
  });
});

describe('encryption', () => {
  const plain = new TextEncoder().encode('the quick brown fox');
  for (const size of [16, 24, 32]) {
    for (const vsn of [0, 1] as const) {
      test(`AES-${String(size * 8)}-GCM version ${String(vsn)}`, () => {
        const key = new Uint8Array(size).map((_, i) => i + 1);
        const data = Uint8Array.of(10, 0, 0, 0, 9);
        const sealed = encryptPayload(vsn, key, plain, data);
        assert.equal(sealed[0], vsn);
        assert.equal(sealed.length, encryptedLength(vsn, plain.length));
        assert.deepEqual(decryptPayload([new Uint8Array(size), key], sealed, data), plain);
        assert.equal(
          wireError(() => decryptPayload([key], sealed)).code,
          'decrypt',
          'additional data is authenticated',
        );
        assert.equal(
          wireError(() => decryptPayload([new Uint8Array(size)], sealed, data)).code,
          'decrypt',
        );
      });
    }
  }

  test('lengths and version checks as security.go', () => {
    assert.equal(encryptedLength(1, 0), 29);
    assert.equal(encryptedLength(0, 0), 45);
    assert.equal(encryptedLength(0, 16), 61);
    const key = new Uint8Array(16);
    assert.equal(
      wireError(() => decryptPayload([key], Uint8Array.of(2, ...new Uint8Array(40)))).code,
      'decrypt',
    );
    assert.equal(wireError(() => decryptPayload([key], Uint8Array.of(1, 1, 2))).code, 'decrypt');
    assert.equal(wireError(() => decryptPayload([key], new Uint8Array(0))).code, 'decrypt');
  });

  test('keyring: install, use, remove at run time', () => {
    const k1 = new Uint8Array(16).fill(1);
    const k2 = new Uint8Array(32).fill(2);
    const ring = new Keyring(k1);
    ring.addKey(k1);
    assert.equal(ring.getKeys().length, 1, 'adding a present key is a no-op');
    ring.addKey(k2);
    assert.deepEqual(ring.getPrimaryKey(), k1);
    const oldPacket =
      encodePackets([{ type: 'nackResp', body: { SeqNo: 3 } }], { keyring: ring })[0] ??
      new Uint8Array(0);
    ring.useKey(k2);
    assert.deepEqual(ring.getPrimaryKey(), k2);
    assert.deepEqual(decodePacket(oldPacket, { keyring: ring }).messages, [
      { type: 'nackResp', body: { SeqNo: 3 } },
    ]);
    assert.equal(
      wireError(() => ring.removeKey(k2)).code,
      'invalid',
      'the primary cannot be removed',
    );
    ring.removeKey(k1);
    assert.equal(decodePacket(oldPacket, { keyring: ring }).errors[0]?.code, 'decrypt');
    assert.equal(wireError(() => ring.addKey(new Uint8Array(15))).code, 'invalid');
    assert.equal(wireError(() => ring.useKey(k1)).code, 'invalid');
  });

  test('plaintext packets are refused unless verifyIncoming is off', () => {
    const keyring = new Keyring(new Uint8Array(16).fill(3));
    const p = encodePackets([{ type: 'nackResp', body: { SeqNo: 4 } }], {})[0] ?? new Uint8Array(0);
    assert.equal(decodePacket(p, { keyring }).errors[0]?.code, 'decrypt');
    assert.deepEqual(decodePacket(p, { keyring, verifyIncoming: false }).messages, [
      { type: 'nackResp', body: { SeqNo: 4 } },
    ]);
    // an encrypted packet to a node without a keyring is an unknown message type (10)
    const e =
      encodePackets([{ type: 'nackResp', body: { SeqNo: 4 } }], { keyring })[0] ??
      new Uint8Array(0);
    assert.equal(decodePacket(e).errors.length, 1);
  });
});

describe('streams', () => {
  const pushPull: GossipMessage = {
    type: 'pushPull',
    body: {
      header: { Nodes: 2, UserStateLen: 5, Join: true },
      nodes: [
        {
          Name: 'a',
          Addr: Uint8Array.of(127, 0, 0, 1),
          Port: 7946,
          Meta: Uint8Array.of(1),
          Incarnation: 1,
          State: 0,
          Vsn: [1, 5, 2, 0, 0, 0],
        },
        {
          Name: 'b',
          Addr: Uint8Array.of(127, 0, 0, 2),
          Port: 7947,
          Meta: new Uint8Array(0),
          Incarnation: 9,
          State: 3,
          Vsn: [1, 5, 2, 0, 0, 0],
        },
      ],
      userState: Uint8Array.of(1, 2, 3, 4, 5),
    },
  };
  const variants = {
    plain: {},
    compressed: { compression: true },
    encrypted: { keyring: new Keyring(new Uint8Array(24).fill(5)) },
    'encrypted v0 + compressed': {
      keyring: new Keyring(new Uint8Array(32).fill(6)),
      compression: true,
      protocolVersion: 1,
    },
  };
  for (const [name, o] of Object.entries(variants)) {
    test(`${name}: push/pull fed one byte at a time`, () => {
      const bytes = encodeStream(pushPull, o);
      const d = new StreamDecoder(o);
      for (let i = 0; i < bytes.length - 1; i++) {
        assert.equal(
          d.push(bytes.subarray(i, i + 1)).state,
          'incomplete',
          `after ${String(i + 1)} bytes`,
        );
      }
      const st = d.push(bytes.subarray(bytes.length - 1));
      assert.equal(st.state, 'done');
      assert.deepEqual(st.state === 'done' ? st.message : undefined, pushPull);
    });
  }

  test('user, ping and ack on streams', () => {
    for (const m of [
      { type: 'user', body: Uint8Array.of(9, 9) },
      { type: 'ping', body: { SeqNo: 1, Node: 'x' } },
      { type: 'ackResp', body: { SeqNo: 1, Payload: new Uint8Array(0) } },
      { type: 'err', body: { Error: 'nope' } },
    ] satisfies GossipMessage[]) {
      const d = new StreamDecoder();
      const st = d.push(encodeStream(m));
      assert.deepEqual(st.state === 'done' ? st.message : st, m);
    }
    assert.equal(
      hex(encodeStream({ type: 'user', body: Uint8Array.of(9) })),
      '0881aa557365724d73674c656e0109',
    );
  });

  test('stream errors', () => {
    const keyring = new Keyring(new Uint8Array(16).fill(1));
    const enc = encodeStream({ type: 'ping', body: { SeqNo: 1, Node: 'x' } }, { keyring });
    const noKey = new StreamDecoder().push(enc);
    assert.equal(noKey.state === 'error' ? noKey.error.code : noKey.state, 'encryption');
    const plainToKeyed = new StreamDecoder({ keyring }).push(
      encodeStream({ type: 'ping', body: { SeqNo: 1, Node: 'x' } }),
    );
    assert.equal(
      plainToKeyed.state === 'error' ? plainToKeyed.error.code : plainToKeyed.state,
      'encryption',
    );
    const huge = new StreamDecoder({ keyring }).push(Uint8Array.of(10, 0xff, 0xff, 0xff, 0xff));
    assert.equal(huge.state === 'error' ? huge.error.code : huge.state, 'too-large');
    const cut = new StreamDecoder();
    assert.equal(cut.push(encodeStream(pushPull).subarray(0, 20)).state, 'incomplete');
    const end = cut.end();
    assert.equal(end.state === 'error' ? end.error.code : end.state, 'truncated');
    const wrongKey = new StreamDecoder({ keyring: new Keyring(new Uint8Array(16).fill(2)) }).push(
      enc,
    );
    assert.equal(wrongKey.state === 'error' ? wrongKey.error.code : wrongKey.state, 'decrypt');
    const badType = new StreamDecoder().push(Uint8Array.of(7, 1, 2));
    assert.equal(badType.state === 'error' ? badType.error.code : badType.state, 'unknown-type');
    const claims = new StreamDecoder().push(
      unhex('0683a44a6f696ec3a54e6f646573ce7fffffffac5573657253746174654c656e00'),
    );
    assert.equal(claims.state === 'error' ? claims.error.code : claims.state, 'too-large');
    assert.ok(MAX_STREAM_BYTES === 20 * 1024 * 1024);
  });
});
