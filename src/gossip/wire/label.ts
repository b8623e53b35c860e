// Cluster labels (memberlist >= 0.3, label.go). A labeled node puts
//   [244][label length, 1..255][label bytes]
// in front of every UDP datagram (outside encryption, CRC and compression) and at the start of
// every TCP stream it opens (the answering side does not repeat it). With encryption on, the
// label is also GCM additional data: alone on packets, after the 5-byte [10][length] header on
// streams. A receiver drops anything whose label (none counts as "") differs from its own;
// with skipInboundLabelCheck it drops labeled input and takes unlabeled input as its own label.
// No label (the default) leaves every byte as memberlist 0.2.2 sends it.
import { GossipWireError } from './errors.ts';

/** memberlist's hasLabelMsg: above every messageType and encryption version on purpose. */
export const HAS_LABEL_MSG = 244;
/** The label length travels in one byte. */
export const LABEL_MAX_SIZE = 255;

const EMPTY = new Uint8Array(0);
const utf8 = new TextEncoder();

/** The label's bytes (UTF-8); empty for none. */
export function labelBytes(label: string | undefined): Uint8Array {
  return label === undefined || label === '' ? EMPTY : utf8.encode(label);
}

/** Undefined when `label` can be used, else the reason (naming `field`). */
export function validateLabel(
  label: string | undefined,
  field = 'label',
): GossipWireError | undefined {
  const n = labelBytes(label).length;
  if (n > LABEL_MAX_SIZE) {
    return new GossipWireError(
      'invalid',
      `${field} is ${String(n)} bytes; at most ${String(LABEL_MAX_SIZE)} are allowed`,
    );
  }
  return undefined;
}

/** Bytes the label header adds to each datagram (0 without a label). */
export function labelOverhead(label: string | undefined): number {
  const n = labelBytes(label).length;
  return n === 0 ? 0 : 2 + n;
}

/** `rest` behind the label header; `rest` itself when there is no label. Throws on a bad label. */
export function addLabelHeader(rest: Uint8Array, label: string | undefined): Uint8Array {
  const bytes = labelBytes(label);
  if (bytes.length === 0) return rest;
  const err = validateLabel(label);
  if (err !== undefined) throw err;
  const out = new Uint8Array(2 + bytes.length + rest.length);
  out[0] = HAS_LABEL_MSG;
  out[1] = bytes.length;
  out.set(bytes, 2);
  out.set(rest, 2 + bytes.length);
  return out;
}

export interface LabelHeader {
  /** The label's bytes; empty when the input had no header. */
  readonly label: Uint8Array;
  /** Bytes the header took (0 when there was none). */
  readonly size: number;
}

/**
 * Reads a label header at the start of `buf`. Undefined while `buf` is too short to tell
 * (streams wait for more bytes); throws GossipWireError('label') for an empty label.
 */
export function readLabelHeader(buf: Uint8Array): LabelHeader | undefined {
  if (buf.length === 0) return undefined;
  if (buf[0] !== HAS_LABEL_MSG) return { label: EMPTY, size: 0 };
  if (buf.length < 2) return undefined;
  const n = buf[1] ?? 0;
  if (n < 1) throw new GossipWireError('label', 'label header cannot be empty when present');
  if (buf.length < 2 + n) return undefined;
  return { label: buf.subarray(2, 2 + n), size: 2 + n };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface LabelPolicy {
  readonly label?: string | undefined;
  readonly skipInboundLabelCheck?: boolean | undefined;
}

/**
 * Applies memberlist's inbound rule to a received header. Returns the label to authenticate
 * the rest with (always ours once accepted); throws GossipWireError('label') to drop it.
 */
export function checkInboundLabel(h: LabelHeader, o: LabelPolicy): Uint8Array {
  const ours = labelBytes(o.label);
  if (o.skipInboundLabelCheck === true) {
    if (h.size > 0) throw new GossipWireError('label', 'unexpected double label header');
    return ours;
  }
  if (!sameBytes(h.label, ours)) {
    const got = h.size === 0 ? 'no label' : `label ${JSON.stringify(decodeLabel(h.label))}`;
    const want = ours.length === 0 ? 'none' : JSON.stringify(o.label);
    throw new GossipWireError('label', `unacceptable ${got} (ours: ${want})`);
  }
  return ours;
}

function decodeLabel(b: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(b);
}
