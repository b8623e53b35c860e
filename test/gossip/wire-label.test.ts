// Cluster labels in the wire layer, checked against byte vectors built by hand from newer
// memberlist's format: [244][length][label] in front of a datagram or an opened stream, the
// label as AES-GCM additional data (alone on packets, after [10][uint32 length] on streams),
// and memberlist's inbound rules (mismatch, missing, unexpected, skipInboundLabelCheck).
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { describe, test } from 'node:test';
import type { GossipMessage } from '../../src/gossip/messages.ts';
import { GossipTransport } from '../../src/gossip/net/transport.ts';
import {
  GossipWireError,
  HAS_LABEL_MSG,
  Keyring,
  LABEL_MAX_SIZE,
  StreamDecoder,
  addLabelHeader,
  decodePacket,
  decryptPayload,
  encodePackets,
  encodeStream,
  encodeStreamOpening,
  encryptPayload,
  labelOverhead,
  packetRoom,
  validateLabel,
  wrapPacket,
  type StreamStatus,
  type WireOptions,
} from '../../src/gossip/wire/index.ts';

const bytes = (...parts: (number[] | string | Uint8Array)[]): Uint8Array =>
  Uint8Array.from(
    parts.flatMap((p) =>
      typeof p === 'string' ? [...Buffer.from(p, 'utf8')] : Array.from(p as ArrayLike<number>),
    ),
  );
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// A user message in a packet is [8][raw bytes]: the whole plaintext is written by hand.
const USER_HI = bytes([8], 'hi');
const hi: GossipMessage = { type: 'user', body: bytes('hi') };
const KEY = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
const NONCE = Uint8Array.from({ length: 12 }, (_, i) => 0xa0 + i);

/** AES-128-GCM seal straight from node:crypto: [1][nonce][ciphertext][tag] (version 1). */
function seal(plain: Uint8Array, aad: Uint8Array): Uint8Array {
  const c = createCipheriv('aes-128-gcm', KEY, NONCE, { authTagLength: 16 });
  if (aad.length > 0) c.setAAD(aad);
  const body = Buffer.concat([c.update(plain), c.final()]);
  return bytes([1], NONCE, body, c.getAuthTag());
}

/** Opens a version-1 payload with node:crypto; throws when the tag does not verify. */
function open(sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  const d = createDecipheriv('aes-128-gcm', KEY, sealed.subarray(1, 13), { authTagLength: 16 });
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  if (aad.length > 0) d.setAAD(aad);
  return new Uint8Array(
    Buffer.concat([d.update(sealed.subarray(13, sealed.length - 16)), d.final()]),
  );
}

function dropCode(buf: Uint8Array, o: WireOptions): string | undefined {
  const r = decodePacket(buf, o);
  assert.equal(r.messages.length, 0, 'the packet must be dropped whole');
  return r.errors[0]?.code;
}

function feed(dec: StreamDecoder, buf: Uint8Array, oneByteAtATime = false): StreamStatus {
  if (oneByteAtATime) for (const b of buf) dec.push(Uint8Array.of(b));
  else dec.push(buf);
  return dec.end();
}

describe('label header format', () => {
  test('the type byte is 244 and the length is one byte; max 255 bytes of UTF-8', () => {
    assert.equal(HAS_LABEL_MSG, 244);
    assert.equal(LABEL_MAX_SIZE, 255);
    assert.equal(hex(addLabelHeader(bytes('xy'), 'blue')), 'f404' + '626c7565' + '7879');
    assert.equal(hex(addLabelHeader(bytes('xy'), '')), '7879');
    assert.equal(hex(addLabelHeader(bytes('xy'), undefined)), '7879');
    assert.equal(labelOverhead('blue'), 6);
    assert.equal(labelOverhead(''), 0);
    const max = 'a'.repeat(255);
    assert.equal(validateLabel(max), undefined);
    assert.deepEqual(addLabelHeader(new Uint8Array(0), max).subarray(0, 2), bytes([244, 255]));
    const long = validateLabel('a'.repeat(256), '--gossip-label');
    assert.ok(long instanceof GossipWireError);
    assert.match(long.message, /--gossip-label is 256 bytes; at most 255/);
    // 128 two-byte characters: 128 characters but 256 bytes.
    assert.ok(validateLabel('é'.repeat(128)) instanceof GossipWireError);
    assert.throws(() => addLabelHeader(USER_HI, 'é'.repeat(128)), /at most 255/);
  });

  test('no label (the default) leaves packets and streams byte-for-byte unlabeled', () => {
    assert.deepEqual(wrapPacket(USER_HI, {}), USER_HI);
    assert.deepEqual(wrapPacket(USER_HI, { label: '' }), USER_HI);
    assert.deepEqual(encodeStreamOpening(hi, {}), encodeStream(hi, {}));
    assert.equal(packetRoom({}), packetRoom({ label: '' }));
  });
});

describe('labeled packets', () => {
  test('plain: [244][4]"blue" then the message, which decodes on a "blue" node', () => {
    const pkt = wrapPacket(USER_HI, { label: 'blue' });
    assert.equal(hex(pkt), 'f404626c7565' + '086869');
    const built = bytes([244, 4], 'blue', [8], 'hi');
    assert.deepEqual(pkt, built);
    const r = decodePacket(built, { label: 'blue' });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.messages, [hi]);
    // The header is outside the CRC: [244][4]blue [12][crc32][8]hi.
    const crc = wrapPacket(USER_HI, { label: 'blue', crc: true });
    assert.deepEqual(crc.subarray(0, 7), bytes([244, 4], 'blue', [12]));
    assert.deepEqual(decodePacket(crc, { label: 'blue' }).messages, [hi]);
  });

  test('the label room is taken off the packet budget', () => {
    assert.equal(packetRoom({ label: 'blue' }), packetRoom({}) - 6);
    const big: GossipMessage = { type: 'user', body: new Uint8Array(600) };
    for (const p of encodePackets([big, big, big], { label: 'blue' }, 1206)) {
      assert.ok(p.length <= 1206, `packet of ${String(p.length)} bytes`);
      assert.deepEqual(p.subarray(0, 6), bytes([244, 4], 'blue'));
    }
  });

  test('memberlist inbound rules: mismatch, missing and unexpected labels are dropped', () => {
    const blue = bytes([244, 4], 'blue', USER_HI);
    assert.equal(dropCode(blue, { label: 'red' }), 'label');
    assert.equal(dropCode(blue, {}), 'label');
    assert.equal(dropCode(USER_HI, { label: 'blue' }), 'label');
    // A prefix of our label is not our label.
    assert.equal(dropCode(bytes([244, 3], 'blu', USER_HI), { label: 'blue' }), 'label');
    assert.match(decodePacket(USER_HI, { label: 'blue' }).errors[0]?.message ?? '', /no label/);
  });

  test('bad headers: empty label, truncated header', () => {
    assert.equal(dropCode(bytes([244, 0], USER_HI), {}), 'label');
    assert.equal(dropCode(bytes([244]), { label: 'blue' }), 'label');
    assert.equal(dropCode(bytes([244, 9], 'blue'), { label: 'blue' }), 'label');
    // A label header with nothing behind it is an empty message, not a crash.
    assert.equal(dropCode(bytes([244, 4], 'blue'), { label: 'blue' }), 'truncated');
  });

  test('skipInboundLabelCheck: unlabeled input counts as ours, labeled input is dropped', () => {
    const o = { label: 'blue', skipInboundLabelCheck: true };
    assert.deepEqual(decodePacket(USER_HI, o).messages, [hi]);
    assert.equal(dropCode(bytes([244, 4], 'blue', USER_HI), o), 'label');
    // Our own packets still carry the label.
    assert.deepEqual(wrapPacket(USER_HI, o).subarray(0, 6), bytes([244, 4], 'blue'));
  });
});

describe('labels and encryption', () => {
  test('the label is the GCM additional data of a packet, outside the ciphertext', () => {
    const keyring = new Keyring(KEY);
    const expected = bytes([244, 1], 'A', seal(USER_HI, bytes('A')));
    // encryptPayload with a fixed nonce gives the same bytes as node:crypto with AAD "A".
    const sealed = encryptPayload(1, KEY, USER_HI, bytes('A'), NONCE);
    assert.deepEqual(addLabelHeader(sealed, 'A'), expected);
    assert.deepEqual(open(sealed, bytes('A')), USER_HI);
    assert.throws(() => open(sealed, new Uint8Array(0)));
    // A real (random nonce) labeled, encrypted packet: header in clear, rest opens with AAD A.
    const pkt = wrapPacket(USER_HI, { keyring, label: 'A' });
    assert.deepEqual(pkt.subarray(0, 3), bytes([244, 1], 'A'));
    assert.deepEqual(open(pkt.subarray(3), bytes('A')), USER_HI);
    assert.deepEqual(decodePacket(expected, { keyring, label: 'A' }).messages, [hi]);
  });

  test('a packet encrypted under label A does not decrypt under label B', () => {
    const keyring = new Keyring(KEY);
    const body = seal(USER_HI, bytes('A'));
    assert.deepEqual(decryptPayload([KEY], body, bytes('A')), USER_HI);
    assert.throws(() => decryptPayload([KEY], body, bytes('B')), /No installed keys/);
    assert.throws(() => decryptPayload([KEY], body), /No installed keys/);
    // Relabeled in clear as B, it passes B's label check but fails authentication.
    assert.equal(dropCode(bytes([244, 1], 'B', body), { keyring, label: 'B' }), 'decrypt');
    // Unlabeled (header stripped) it fails on an unlabeled node too: the AAD is missing.
    assert.equal(dropCode(body, { keyring }), 'decrypt');
    // With skipInboundLabelCheck, the unlabeled body is authenticated with our label.
    assert.deepEqual(
      decodePacket(body, { keyring, label: 'A', skipInboundLabelCheck: true }).messages,
      [hi],
    );
    assert.equal(dropCode(body, { keyring, label: 'B', skipInboundLabelCheck: true }), 'decrypt');
  });
});

describe('labeled streams', () => {
  // A user message on a stream: [8][msgpack {"UserMsgLen": 2}] then the raw bytes.
  const USER_STREAM = bytes([8, 0x81, 0xaa], 'UserMsgLen', [0x02], 'hi');

  test('the opener writes [244][len][label] once; the answer carries no header', () => {
    assert.deepEqual(encodeStream(hi, {}), USER_STREAM);
    const opening = encodeStreamOpening(hi, { label: 'blue' });
    assert.deepEqual(opening, bytes([244, 4], 'blue', USER_STREAM));
    assert.deepEqual(encodeStream(hi, { label: 'blue' }), USER_STREAM);
  });

  test('an inbound stream must carry our label; an answer is read without one', () => {
    const labeled = bytes([244, 4], 'blue', USER_STREAM);
    for (const slow of [false, true]) {
      const ok = feed(new StreamDecoder({ label: 'blue' }, { inbound: true }), labeled, slow);
      assert.deepEqual(ok, { state: 'done', message: hi });
    }
    const wrong = feed(new StreamDecoder({ label: 'red' }, { inbound: true }), labeled);
    assert.equal(wrong.state === 'error' && wrong.error.code, 'label');
    const missing = feed(new StreamDecoder({ label: 'blue' }, { inbound: true }), USER_STREAM);
    assert.equal(missing.state === 'error' && missing.error.code, 'label');
    const unexpected = feed(new StreamDecoder({}, { inbound: true }), labeled);
    assert.equal(unexpected.state === 'error' && unexpected.error.code, 'label');
    const empty = feed(new StreamDecoder({}, { inbound: true }), bytes([244, 0], USER_STREAM));
    assert.equal(empty.state === 'error' && empty.error.code, 'label');
    const cut = feed(
      new StreamDecoder({ label: 'blue' }, { inbound: true }),
      bytes([244, 4], 'bl'),
    );
    assert.equal(cut.state === 'error' && cut.error.code, 'label');
    // The opener reads the answer unlabeled even though it has a label.
    const answer = feed(new StreamDecoder({ label: 'blue' }), USER_STREAM);
    assert.deepEqual(answer, { state: 'done', message: hi });
    // skipInboundLabelCheck: unlabeled accepted, labeled dropped.
    const skip = { label: 'blue', skipInboundLabelCheck: true };
    assert.equal(feed(new StreamDecoder(skip, { inbound: true }), USER_STREAM).state, 'done');
    const dbl = feed(new StreamDecoder(skip, { inbound: true }), labeled);
    assert.equal(dbl.state === 'error' && dbl.error.code, 'label');
  });

  test('encrypted streams authenticate [10][uint32 length] followed by the label', () => {
    const keyring = new Keyring(KEY);
    const opening = encodeStreamOpening(hi, { keyring, label: 'blue' });
    assert.deepEqual(opening.subarray(0, 6), bytes([244, 4], 'blue'));
    const framed = opening.subarray(6);
    const len = 1 + 12 + USER_STREAM.length + 16;
    assert.deepEqual(framed.subarray(0, 5), bytes([10, 0, 0, 0, len]));
    const sealed = framed.subarray(5);
    assert.deepEqual(open(sealed, bytes([10, 0, 0, 0, len], 'blue')), USER_STREAM);
    assert.throws(() => open(sealed, bytes([10, 0, 0, 0, len])));
    // A stream sealed under label A does not open under label B.
    const a = encodeStream(hi, { keyring, label: 'A' });
    const asB = feed(
      new StreamDecoder({ keyring, label: 'B', skipInboundLabelCheck: true }, { inbound: true }),
      a,
    );
    assert.equal(asB.state === 'error' && asB.error.code, 'decrypt');
    const asA = feed(
      new StreamDecoder({ keyring, label: 'A' }, { inbound: true }),
      bytes([244, 1], 'A', a),
    );
    assert.deepEqual(asA, { state: 'done', message: hi });
  });
});

describe('transport options', () => {
  test('a label over 255 bytes is refused before binding, naming the field', async () => {
    await assert.rejects(
      GossipTransport.listen(
        { host: '127.0.0.1', port: 0, wire: { label: 'x'.repeat(256) } },
        { onPacket: () => undefined, onStream: () => null },
      ),
      /gossip label is 256 bytes; at most 255/,
    );
  });
});
