// memberlist's UDP packet layers, outermost first:
//   label (only when one is set, label.ts): [244][length][label bytes];
//   encryption (when a keyring is set): the rest is encryptPayload(...) with the label (empty
//     without one) as additional data;
//   hasCrcMsg: [12][CRC32-IEEE of the rest, big-endian] when the receiver speaks protocol >= 5;
//   compressMsg: [9][msgpack compress{Algo: 0 (LZW), Buf}] when compression is on and smaller;
//   compoundMsg: [7][count uint8][count x uint16 big-endian lengths][bodies...];
//   a message: [messageType][msgpack struct] (or [8][raw bytes] for a user message).
// On receipt memberlist checks the label, decrypts (falling back to plaintext only when it does not verify
// incoming traffic), checks the CRC if present, then handles compound and compress recursively.
import { MessageType, type GossipMessage } from '../messages.ts';
import { decodeMessage, decodeStructValue, encodeMessage, encodeStruct } from './codec.ts';
import { crc32 } from './crc32.ts';
import { GossipWireError, asWireError } from './errors.ts';
import {
  addLabelHeader,
  checkInboundLabel,
  labelBytes,
  labelOverhead,
  readLabelHeader,
} from './label.ts';
import { lzwCompress, lzwDecompress } from './lzw.ts';
import { MpReader, MpWriter } from './msgpack.ts';
import {
  decryptPayload,
  encryptOverhead,
  encryptPayload,
  encryptionVersionFor,
  type Keyring,
} from './security.ts';

/** memberlist's default UDPBufferSize: the largest datagram it builds on purpose. */
export const UDP_BUFFER_SIZE = 1400;
/** The largest datagram we accept (memberlist reads into a 64 KiB buffer). */
export const MAX_PACKET_SIZE = 65536;
/** Bound on a packet's decompressed size (an LZW bomb is dropped, not inflated). */
export const MAX_PACKET_DECOMPRESSED = 1 << 20;
/** Bound on compound/compress nesting inside one packet. */
export const MAX_NESTING = 4;
/** A compound message counts its parts in one byte. */
export const MAX_COMPOUND_PARTS = 255;
/**
 * The most parts we put in one compound: memberlist 0.2.2's decodeCompoundMessage computes the
 * offset of the bodies as `numParts*2` in uint8 arithmetic, which wraps from 128 parts on, so
 * a Go node misreads any compound of 128 or more parts. (memberlist never builds one.)
 */
export const MAX_SENT_COMPOUND_PARTS = 127;
const COMPOUND_HEADER_OVERHEAD = 2;
const COMPOUND_OVERHEAD = 2;
const CRC_OVERHEAD = 5;
const LZW_ALGO = 0;

export interface WireOptions {
  /** Encryption is on when the keyring holds at least one key. */
  readonly keyring?: Keyring | undefined;
  /** The memberlist protocol version we speak (2 by default): 1 selects encryption version 0. */
  readonly protocolVersion?: number | undefined;
  /** Compress outgoing messages (memberlist's EnableCompression; default false here). */
  readonly compression?: boolean | undefined;
  /** Reject plaintext when encryption is on (GossipVerifyIncoming; default true). */
  readonly verifyIncoming?: boolean | undefined;
  /** Encrypt outgoing traffic when encryption is on (GossipVerifyOutgoing; default true). */
  readonly verifyOutgoing?: boolean | undefined;
  /** Cluster label (newer memberlist; at most 255 bytes). Unset or '' sends no label header. */
  readonly label?: string | undefined;
  /** Accept unlabeled input as carrying our label, and drop labeled input. */
  readonly skipInboundLabelCheck?: boolean | undefined;
}

export function encryptionOn(o: WireOptions): boolean {
  return o.keyring !== undefined && o.keyring.enabled;
}

function encryptingOutgoing(o: WireOptions): boolean {
  return encryptionOn(o) && o.verifyOutgoing !== false;
}

/** [7][n][n lengths][bodies]: memberlist's makeCompoundMessage. */
export function makeCompoundMessage(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length > MAX_COMPOUND_PARTS) {
    throw new GossipWireError(
      'invalid',
      `a compound holds at most ${String(MAX_COMPOUND_PARTS)} parts`,
    );
  }
  let size = 2 + 2 * parts.length;
  for (const p of parts) {
    if (p.length === 0 || p.length > 0xffff) {
      throw new GossipWireError(
        'invalid',
        `a compound part must be 1..65535 bytes, not ${String(p.length)}`,
      );
    }
    size += p.length;
  }
  const out = new Uint8Array(size);
  out[0] = MessageType.compound;
  out[1] = parts.length;
  let off = 2;
  for (const p of parts) {
    out[off++] = p.length >>> 8;
    out[off++] = p.length & 0xff;
  }
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export interface CompoundParts {
  readonly parts: Uint8Array[];
  /** Parts whose bytes were missing (memberlist logs and skips them). */
  readonly truncated: number;
}

/** Splits a compound body (after the type byte), as memberlist's decodeCompoundMessage. */
export function decodeCompoundMessage(buf: Uint8Array): CompoundParts {
  if (buf.length < 1) throw new GossipWireError('truncated', 'missing compound length byte');
  const n = buf[0] ?? 0;
  if (buf.length < 1 + 2 * n) throw new GossipWireError('truncated', 'truncated len slice');
  const lengths: number[] = [];
  for (let i = 0; i < n; i++) lengths.push(((buf[1 + 2 * i] ?? 0) << 8) | (buf[2 + 2 * i] ?? 0));
  let off = 1 + 2 * n;
  const parts: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const len = lengths[i] ?? 0;
    if (buf.length - off < len) return { parts, truncated: n - i };
    parts.push(buf.subarray(off, off + len));
    off += len;
  }
  return { parts, truncated: 0 };
}

/** [9][msgpack compress{Algo: 0, Buf: LZW(msg)}]: memberlist's compressPayload. */
export function compressPayload(msg: Uint8Array): Uint8Array {
  const w = new MpWriter(msg.length + 16);
  w.byte(MessageType.compress);
  encodeStruct('compress', { Algo: LZW_ALGO, Buf: lzwCompress(msg) }, w);
  return w.finish();
}

/** Reads a compress struct from `r` and inflates it (at most maxOutput bytes). */
export function readCompressed(r: MpReader, maxOutput: number): Uint8Array {
  const c = decodeStructValue('compress', r.read());
  if (c['Algo'] !== LZW_ALGO) {
    throw new GossipWireError(
      'compression',
      `Cannot decompress unknown algorithm ${String(c['Algo'])}`,
      'compress.Algo',
    );
  }
  const buf = c['Buf'];
  return lzwDecompress(buf instanceof Uint8Array ? buf : new Uint8Array(0), maxOutput);
}

export interface PacketOptions extends WireOptions {
  /** Prefix a CRC (memberlist does when the receiver's protocol max is >= 5). */
  readonly crc?: boolean | undefined;
}

/**
 * Turns one message (a single encoded message or a compound) into a datagram, as
 * rawSendMsgPacket: compress if on and smaller, add the CRC, encrypt, then prefix the label.
 */
export function wrapPacket(msg: Uint8Array, o: PacketOptions): Uint8Array {
  let out = msg;
  if (o.compression === true) {
    const c = compressPayload(out);
    if (c.length < out.length) out = c;
  }
  if (o.crc === true) {
    const withCrc = new Uint8Array(CRC_OVERHEAD + out.length);
    withCrc[0] = MessageType.hasCrc;
    new DataView(withCrc.buffer).setUint32(1, crc32(out));
    withCrc.set(out, CRC_OVERHEAD);
    out = withCrc;
  }
  if (encryptingOutgoing(o)) {
    const key = o.keyring?.getPrimaryKey();
    if (key !== undefined)
      out = encryptPayload(
        encryptionVersionFor(o.protocolVersion ?? 2),
        key,
        out,
        labelBytes(o.label),
      );
  }
  return addLabelHeader(out, o.label);
}

/** Room for message bytes in one datagram of `budget` bytes after label, CRC and encryption. */
export function packetRoom(o: PacketOptions, budget = UDP_BUFFER_SIZE): number {
  let room = budget - labelOverhead(o.label);
  if (o.crc === true) room -= CRC_OVERHEAD;
  if (encryptingOutgoing(o)) room -= encryptOverhead(encryptionVersionFor(o.protocolVersion ?? 2));
  return room;
}

/**
 * Groups encoded messages into as few packet bodies as fit `room` bytes each: a lone message
 * is sent as itself, several as a compound. A message too big to share a
 * packet goes alone, as memberlist sends it. At most MAX_SENT_COMPOUND_PARTS parts each.
 */
export function packMessages(encoded: readonly Uint8Array[], room: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let group: Uint8Array[] = [];
  let size = COMPOUND_HEADER_OVERHEAD;
  const flush = (): void => {
    if (group.length === 1 && group[0] !== undefined) out.push(group[0]);
    else if (group.length > 1) out.push(makeCompoundMessage(group));
    group = [];
    size = COMPOUND_HEADER_OVERHEAD;
  };
  for (const m of encoded) {
    if (m.length === 0) continue;
    const cost = m.length + COMPOUND_OVERHEAD;
    if (group.length > 0 && (size + cost > room || group.length === MAX_SENT_COMPOUND_PARTS))
      flush();
    group.push(m);
    size += cost;
  }
  flush();
  return out;
}

/** Encodes messages into datagrams of at most `budget` bytes where they fit. */
export function encodePackets(
  msgs: readonly GossipMessage[],
  o: PacketOptions,
  budget = UDP_BUFFER_SIZE,
): Uint8Array[] {
  const encoded = msgs.map(encodeMessage);
  return packMessages(encoded, packetRoom(o, budget)).map((body) => wrapPacket(body, o));
}

export interface PacketDecodeResult {
  readonly messages: GossipMessage[];
  /** Problems: the whole packet (first entry, no messages) or single parts of a compound. */
  readonly errors: GossipWireError[];
  /** Compound parts cut off by the packet's end. */
  readonly truncated: number;
  readonly encrypted: boolean;
  readonly crc: boolean;
}

/** Decodes a datagram. Never throws: problems are reported in `errors`. */
export function decodePacket(buf: Uint8Array, o: WireOptions = {}): PacketDecodeResult {
  const messages: GossipMessage[] = [];
  const errors: GossipWireError[] = [];
  let truncated = 0;
  let encrypted = false;
  let crc = false;
  const fail = (e: unknown): PacketDecodeResult => ({
    messages,
    errors: [...errors, asWireError(e, 'malformed', 'packet')],
    truncated,
    encrypted,
    crc,
  });
  try {
    if (buf.length < 1) throw new GossipWireError('truncated', 'empty packet');
    if (buf.length > MAX_PACKET_SIZE) {
      throw new GossipWireError('too-large', `packet of ${String(buf.length)} bytes`);
    }
    const header = readLabelHeader(buf);
    if (header === undefined) {
      throw new GossipWireError('label', 'cannot decode label; packet has been truncated');
    }
    const label = checkInboundLabel(header, o);
    const body = buf.subarray(header.size);
    let plain = body;
    if (encryptionOn(o)) {
      try {
        plain = decryptPayload(o.keyring?.getKeys() ?? [], body, label);
        encrypted = true;
      } catch (e) {
        if (o.verifyIncoming !== false) throw e;
        plain = body;
      }
    }
    if (plain.length >= CRC_OVERHEAD && plain[0] === MessageType.hasCrc) {
      const expected = new DataView(plain.buffer, plain.byteOffset, plain.length).getUint32(1);
      plain = plain.subarray(CRC_OVERHEAD);
      const actual = crc32(plain);
      if (actual !== expected) {
        throw new GossipWireError(
          'crc',
          `invalid checksum ${actual.toString(16)}, expected ${expected.toString(16)}`,
        );
      }
      crc = true;
    }
    const handle = (part: Uint8Array, depth: number): void => {
      if (depth > MAX_NESTING)
        throw new GossipWireError('too-large', 'compound/compress nested too deep');
      if (part.length < 1) throw new GossipWireError('truncated', 'empty message');
      const t = part[0];
      if (t === MessageType.compound) {
        const c = decodeCompoundMessage(part.subarray(1));
        truncated += c.truncated;
        for (const p of c.parts) {
          try {
            handle(p, depth + 1);
          } catch (e) {
            errors.push(asWireError(e, 'malformed', 'compound part'));
          }
        }
        return;
      }
      if (t === MessageType.compress) {
        const inner = readCompressed(new MpReader(part, 1), MAX_PACKET_DECOMPRESSED);
        handle(inner, depth + 1);
        return;
      }
      messages.push(decodeMessage(part));
    };
    handle(plain, 0);
    return { messages, errors, truncated, encrypted, crc };
  } catch (e) {
    return fail(e);
  }
}
