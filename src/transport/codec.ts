// One Raft message (or the hello) ⇄ one frame: 4-byte big-endian payload length, then msgpack.
// Decoding never throws: bad input comes back as a WireError naming what was wrong.
import { Packr } from 'msgpackr';
import { takeOut } from '../codec/index.ts';
import { readAppMessage } from './app-reader.ts';
import type { Message } from '../raft/messages.ts';
import { DEFAULT_MAX_FRAME_BYTES, FRAME_HEADER_BYTES } from './frame-decoder.ts';
import { messageSize, writeMessage } from './message-writer.ts';
import {
  PROTOCOL_VERSION,
  validateHello,
  validateInbound,
  validateMessage,
  type AppFrame,
  type Hello,
} from './schema.ts';
import { WireError } from './wire-error.ts';

// Records off: every frame is self-describing, so no decoder state carries across frames or
// connections. Uint8Array fields encode as msgpack bin.
const packr = new Packr({ useRecords: false });

/**
 * Encodes one message as a complete frame; FRAME_TOO_LARGE when it would exceed the bound.
 * Scalar messages and AppendEntries of normal entries (every replicated write) are written by
 * hand, byte for byte what msgpackr writes; the rest goes through msgpackr.
 */
export function encodeMessage(
  m: Message,
  maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES,
): Buffer | WireError {
  const size = messageSize(m);
  if (size < 0) return encodeValue(m, maxFrameBytes);
  if (size > maxFrameBytes) return frameTooLarge(size, maxFrameBytes);
  const { out, at, bytes: frame } = takeOut(FRAME_HEADER_BYTES + size);
  const end = writeMessage(out, at + FRAME_HEADER_BYTES, m);
  // Unreachable unless the size and write passes disagree; msgpackr is the authority then.
  if (end !== at + frame.length) return encodeValue(m, maxFrameBytes);
  frame.writeUInt32BE(size, 0);
  return frame;
}

export function encodeAppFrame(
  from: string,
  to: string,
  payload: Uint8Array,
  maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES,
): Buffer | WireError {
  const frame: AppFrame = { type: 'appFrame', from, to, payload };
  return encodeValue(frame, maxFrameBytes);
}

export function encodeHello(from: string, to: string, addr?: string): Buffer {
  const base: Hello = { type: 'hello', version: PROTOCOL_VERSION, from, to };
  const hello: Hello = addr === undefined ? base : { ...base, addr };
  const frame = encodeValue(hello, DEFAULT_MAX_FRAME_BYTES);
  if (frame instanceof WireError) throw frame; // unreachable: ids are bounded by the caller
  return frame;
}

/**
 * Decodes and validates one frame payload (without its length prefix). Plain AppendEntries
 * take a hand-written reader (app-reader.ts); everything else, and anything it does not
 * accept, goes through msgpackr and the schema.
 */
export function decodeMessage(payload: Uint8Array): Message | WireError {
  const fast = readAppMessage(payload);
  if (fast !== null) return fast;
  const r = unpack(payload);
  return r instanceof WireError ? r : validateMessage(r.value);
}

/** Decodes what may follow a hello: a Raft message or an application frame. */
export function decodeInbound(payload: Uint8Array): Message | AppFrame | WireError {
  const fast = readAppMessage(payload);
  if (fast !== null) return fast;
  const r = unpack(payload);
  return r instanceof WireError ? r : validateInbound(r.value);
}

/** decodeMessage without the hand-written reader (for tests comparing the two). */
export function decodeMessageGeneric(payload: Uint8Array): Message | WireError {
  const r = unpack(payload);
  return r instanceof WireError ? r : validateMessage(r.value);
}

export function decodeHello(payload: Uint8Array): Hello | WireError {
  const r = unpack(payload);
  return r instanceof WireError ? r : validateHello(r.value);
}

function encodeValue(v: unknown, maxFrameBytes: number): Buffer | WireError {
  let payload: Uint8Array;
  try {
    payload = packr.pack(v);
  } catch (err) {
    return new WireError('BAD_MSGPACK', `cannot encode: ${String(err)}`);
  }
  if (payload.length > maxFrameBytes) return frameTooLarge(payload.length, maxFrameBytes);
  // Copy into a buffer of our own: pack() returns a view into msgpackr's shared scratch space.
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

function frameTooLarge(payloadBytes: number, maxFrameBytes: number): WireError {
  const msg = `frame of ${String(payloadBytes)} bytes exceeds the ${String(maxFrameBytes)} byte limit`;
  return new WireError('FRAME_TOO_LARGE', msg, 'length');
}

function unpack(payload: Uint8Array): { readonly value: unknown } | WireError {
  try {
    // Throws on truncated input and on trailing bytes after the first value.
    return { value: packr.unpack(payload) as unknown };
  } catch (err) {
    return new WireError('BAD_MSGPACK', `undecodable msgpack: ${errorText(err)}`);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message.slice(0, 200) : String(err);
}
