// memberlist's TCP stream framing (net.go: rawSendMsgStream / readStream / readRemoteState).
// A stream carries one message each way. The sender builds
//   [messageType][msgpack struct...]           (pushPull: header, each node, raw user state;
//                                               user: userMsgHeader{UserMsgLen}, raw bytes)
// then, with compression on, always replaces it by [9][msgpack compress{Algo: 0, Buf}], then,
// with encryption on, sends [10][uint32 BE length][encryptPayload(payload, additional data =
// those first 5 bytes, then the label if one is set)]. A labeled node opens each stream with
// the label header (label.ts); the answer carries none. Unencrypted streams have no length prefix: the reader decodes msgpack
// values straight off the connection, so this decoder is incremental and waits for more bytes
// until the message is complete.
import { MessageType, type GossipMessage, type PushNodeState } from '../messages.ts';
import {
  decodeMessage,
  decodeStruct,
  encodeMessage,
  encodeStruct,
  toPushNodeState,
  toPushPullHeader,
} from './codec.ts';
import { GossipWireError, asWireError } from './errors.ts';
import {
  addLabelHeader,
  LABEL_MAX_SIZE,
  checkInboundLabel,
  labelBytes,
  readLabelHeader,
  type LabelHeader,
} from './label.ts';
import { MpReader, MpWriter } from './msgpack.ts';
import { compressPayload, encryptionOn, readCompressed, type WireOptions } from './packet.ts';
import {
  decryptPayload,
  encryptPayload,
  encryptedLength,
  encryptionVersionFor,
} from './security.ts';

/** memberlist's maxPushStateBytes: the largest stream message accepted. */
export const MAX_STREAM_BYTES = 20 * 1024 * 1024;

/** The message body as memberlist writes it on a stream, before compression/encryption. */
export function encodeStreamBody(msg: GossipMessage): Uint8Array {
  if (msg.type !== 'user') return encodeMessage(msg);
  const w = new MpWriter(msg.body.length + 16);
  w.byte(MessageType.user);
  encodeStruct('userMsgHeader', { UserMsgLen: msg.body.length }, w);
  w.bytes(msg.body);
  return w.finish();
}

/** The additional data of an encrypted stream: [10][uint32 length] then our label. */
function streamAuthData(header: Uint8Array, o: WireOptions): Uint8Array {
  const label = labelBytes(o.label);
  if (label.length === 0) return header;
  const out = new Uint8Array(header.length + label.length);
  out.set(header);
  out.set(label, header.length);
  return out;
}

/**
 * The first bytes of a stream we open: the label header (when we have a label) and then
 * `encodeStream(msg, o)`.
 */
export function encodeStreamOpening(msg: GossipMessage, o: WireOptions = {}): Uint8Array {
  return addLabelHeader(encodeStream(msg, o), o.label);
}

/**
 * The bytes to write on a stream for one message (memberlist's rawSendMsgStream), without a
 * label header: an answer as is, a stream we open through encodeStreamOpening().
 */
export function encodeStream(msg: GossipMessage, o: WireOptions = {}): Uint8Array {
  let payload = encodeStreamBody(msg);
  if (o.compression === true) payload = compressPayload(payload);
  const key = o.keyring?.getPrimaryKey();
  if (encryptionOn(o) && o.verifyOutgoing !== false && key !== undefined) {
    const vsn = encryptionVersionFor(o.protocolVersion ?? 2);
    const header = new Uint8Array(5);
    header[0] = MessageType.encrypt;
    new DataView(header.buffer).setUint32(1, encryptedLength(vsn, payload.length));
    const sealed = encryptPayload(vsn, key, payload, streamAuthData(header, o));
    const out = new Uint8Array(5 + sealed.length);
    out.set(header);
    out.set(sealed, 5);
    return out;
  }
  if (payload.length > MAX_STREAM_BYTES) {
    throw new GossipWireError('too-large', `stream message of ${String(payload.length)} bytes`);
  }
  return payload;
}

export type StreamStatus =
  | { readonly state: 'incomplete' }
  | { readonly state: 'done'; readonly message: GossipMessage }
  | { readonly state: 'error'; readonly error: GossipWireError };

const INCOMPLETE: StreamStatus = { state: 'incomplete' };

/** Where an unencrypted, uncompressed push/pull has got to (so each byte is parsed once). */
interface PlainProgress {
  offset: number;
  header: ReturnType<typeof toPushPullHeader> | undefined;
  nodes: PushNodeState[];
}

export interface StreamDecoderOptions {
  /**
   * The stream was opened by the peer, so it may start with a label header that must match
   * ours (memberlist's handleConn). Answers to our own streams carry none (default false).
   */
  readonly inbound?: boolean | undefined;
}

/**
 * Reads one message off a stream. Feed it chunks with push(); call end() at EOF. The status
 * becomes 'done' or 'error' once and stays so. Never throws.
 */
export class StreamDecoder {
  private buf = new Uint8Array(1024);
  private len = 0;
  private status: StreamStatus = INCOMPLETE;
  private readonly plain: PlainProgress = { offset: 1, header: undefined, nodes: [] };
  /** Still to read and check the label header (inbound streams only). */
  private labelPending: boolean;

  private readonly o: WireOptions;

  constructor(o: WireOptions = {}, d: StreamDecoderOptions = {}) {
    this.o = o;
    this.labelPending = d.inbound === true;
  }

  get result(): StreamStatus {
    return this.status;
  }

  /** Bytes of the message received so far (after any label header). */
  get received(): number {
    return this.len;
  }

  push(chunk: Uint8Array): StreamStatus {
    if (this.status.state !== 'incomplete') return this.status;
    const headerRoom = this.labelPending ? 2 + LABEL_MAX_SIZE : 0;
    if (this.len + chunk.length > MAX_STREAM_BYTES + 5 + headerRoom) {
      return this.finish(new GossipWireError('too-large', 'stream larger than the 20 MiB limit'));
    }
    if (this.len + chunk.length > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < this.len + chunk.length) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
    }
    this.buf.set(chunk, this.len);
    this.len += chunk.length;
    return this.attempt(false);
  }

  end(): StreamStatus {
    if (this.status.state !== 'incomplete') return this.status;
    return this.attempt(true);
  }

  private finish(e: GossipWireError | GossipMessage): StreamStatus {
    this.status =
      e instanceof GossipWireError ? { state: 'error', error: e } : { state: 'done', message: e };
    return this.status;
  }

  private attempt(eof: boolean): StreamStatus {
    try {
      if (this.labelPending && !this.takeLabel(eof)) return INCOMPLETE;
      const msg = this.parse();
      if (msg !== undefined) return this.finish(msg);
      if (eof) {
        return this.finish(
          new GossipWireError(
            'truncated',
            this.len === 0 ? 'stream closed before a message' : 'stream closed mid-message',
          ),
        );
      }
      return INCOMPLETE;
    } catch (e) {
      const err = asWireError(e, 'malformed', 'stream');
      if (err.code === 'truncated' && !eof) return INCOMPLETE;
      return this.finish(err);
    }
  }

  /**
   * Reads and checks the label header, then drops it from the buffer. False while more bytes
   * are needed; throws GossipWireError('label') to drop the stream. An empty stream is left
   * to the message parser (memberlist treats it as unlabeled and reports nothing more).
   */
  private takeLabel(eof: boolean): boolean {
    if (this.len === 0) {
      if (!eof) return false;
      this.labelPending = false;
      return true;
    }
    const h: LabelHeader | undefined = readLabelHeader(this.buf.subarray(0, this.len));
    if (h === undefined) {
      if (!eof) return false;
      throw new GossipWireError('label', 'cannot decode label; stream has been truncated');
    }
    checkInboundLabel(h, this.o);
    this.labelPending = false;
    if (h.size > 0) {
      this.buf.copyWithin(0, h.size, this.len);
      this.len -= h.size;
    }
    return true;
  }

  /** A complete message, or undefined while more bytes are needed. Throws GossipWireError. */
  private parse(): GossipMessage | undefined {
    if (this.len < 1) return undefined;
    const data = this.buf.subarray(0, this.len);
    const t = data[0];
    if (t === MessageType.encrypt) {
      if (!encryptionOn(this.o)) {
        throw new GossipWireError(
          'encryption',
          'Remote state is encrypted and encryption is not configured',
        );
      }
      if (this.len < 5) return undefined;
      const more = new DataView(data.buffer, data.byteOffset, 5).getUint32(1);
      if (more > MAX_STREAM_BYTES) {
        throw new GossipWireError(
          'too-large',
          `Remote node state is larger than limit (${String(more)})`,
        );
      }
      if (this.len < 5 + more) return undefined;
      // Our label: an inbound stream's label was checked to be ours, answers carry none.
      const plain = decryptPayload(
        this.o.keyring?.getKeys() ?? [],
        data.subarray(5, 5 + more),
        streamAuthData(data.subarray(0, 5), this.o),
      );
      // readStream: the decrypted payload may itself be a compressMsg.
      if (plain[0] === MessageType.compress) {
        return parseComplete(readCompressed(new MpReader(plain, 1), MAX_STREAM_BYTES));
      }
      return parseComplete(plain);
    }
    if (encryptionOn(this.o) && this.o.verifyIncoming !== false) {
      throw new GossipWireError(
        'encryption',
        'Encryption is configured but remote state is not encrypted',
      );
    }
    if (t === MessageType.compress) {
      const inner = readCompressed(new MpReader(data, 1), MAX_STREAM_BYTES);
      return parseComplete(inner);
    }
    return parseBody(data, this.plain);
  }
}

/** Parses a whole decrypted or decompressed payload; running short is an error here. */
function parseComplete(payload: Uint8Array): GossipMessage {
  const msg = parseBody(payload, { offset: 1, header: undefined, nodes: [] });
  if (msg === undefined) throw new GossipWireError('truncated', 'stream payload ends mid-message');
  return msg;
}

/**
 * Parses [type][body] from `data`, resuming a push/pull at `p`. Returns undefined (or throws
 * 'truncated') while incomplete.
 */
function parseBody(data: Uint8Array, p: PlainProgress): GossipMessage | undefined {
  if (data.length < 1) return undefined;
  const t = data[0] ?? 0;
  switch (t) {
    case MessageType.pushPull: {
      if (p.header === undefined) {
        const r = new MpReader(data, p.offset);
        const header = toPushPullHeader(decodeStruct('pushPullHeader', r));
        if (header.Nodes > MAX_STREAM_BYTES || header.UserStateLen > MAX_STREAM_BYTES) {
          throw new GossipWireError(
            'too-large',
            'push/pull header claims too much',
            'pushPullHeader',
          );
        }
        p.header = header;
        p.offset = r.offset;
      }
      const header = p.header;
      while (p.nodes.length < header.Nodes) {
        const r = new MpReader(data, p.offset);
        p.nodes.push(toPushNodeState(decodeStruct('pushNodeState', r)));
        p.offset = r.offset;
      }
      if (data.length - p.offset < header.UserStateLen) return undefined;
      const userState = data.slice(p.offset, p.offset + header.UserStateLen);
      return { type: 'pushPull', body: { header, nodes: p.nodes, userState } };
    }
    case MessageType.user: {
      const r = new MpReader(data, 1);
      const h = decodeStruct('userMsgHeader', r);
      const n = typeof h['UserMsgLen'] === 'number' ? h['UserMsgLen'] : 0;
      if (n > MAX_STREAM_BYTES)
        throw new GossipWireError('too-large', 'user message too large', 'userMsgHeader');
      if (data.length - r.offset < n) return undefined;
      return { type: 'user', body: data.slice(r.offset, r.offset + n) };
    }
    case MessageType.ping:
    case MessageType.ackResp:
    case MessageType.err:
    case MessageType.nackResp:
    case MessageType.indirectPing:
    case MessageType.alive:
    case MessageType.suspect:
    case MessageType.dead:
      return decodeMessage(data);
    default:
      throw new GossipWireError('unknown-type', `stream message type ${String(t)}`);
  }
}
