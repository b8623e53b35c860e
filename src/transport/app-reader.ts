// AppendEntries read by hand: the message every follower decodes for every replicated write.
// It accepts only the plain shape (a map of the eight AppendEntries fields in any order, ASCII
// strings, unsigned integers within 2^53, also as float64 as msgpackr writes those of 2^32 and
// more, normal entries of exactly type/term/index/data) and answers null for anything else,
// which then goes through msgpackr and the schema (codec.ts), the one authority on what is
// valid and on every error. For what it accepts it builds the same object the schema builds,
// except that all entries' data share one copy of the frame instead of one copy each (they
// still never alias the socket's buffer).
import type { AppendRequest } from '../raft/messages.ts';
import type { Entry } from '../raft/types.ts';
import { MAX_NODE_ID_LENGTH } from './fields.ts';

/** Cursor over one payload; every read checks bounds and answers -1 (or null) on a mismatch. */
interface Cursor {
  readonly b: Uint8Array;
  p: number;
}

const MAX_SAFE_HIGH = 0x1fffff; // the upper 32 bits of Number.MAX_SAFE_INTEGER

function mapLength(c: Cursor): number {
  const { b } = c;
  const t = b[c.p];
  if (t === undefined) return -1;
  if (t >= 0x80 && t <= 0x8f) {
    c.p += 1;
    return t & 0x0f;
  }
  if (t === 0xde && c.p + 3 <= b.length) {
    const n = ((b[c.p + 1] as number) << 8) | (b[c.p + 2] as number);
    c.p += 3;
    return n;
  }
  return -1;
}

function arrayLength(c: Cursor): number {
  const { b } = c;
  const t = b[c.p];
  if (t === undefined) return -1;
  if (t >= 0x90 && t <= 0x9f) {
    c.p += 1;
    return t & 0x0f;
  }
  if (t === 0xdc && c.p + 3 <= b.length) {
    const n = ((b[c.p + 1] as number) << 8) | (b[c.p + 2] as number);
    c.p += 3;
    return n;
  }
  if (t === 0xdd && c.p + 5 <= b.length) {
    const n = readU32(b, c.p + 1);
    c.p += 5;
    return n;
  }
  return -1;
}

/** An ASCII string (fixstr, str8, str16), or null. */
function asciiString(c: Cursor): string | null {
  const { b } = c;
  const t = b[c.p];
  let n: number;
  let start: number;
  if (t === undefined) return null;
  if (t >= 0xa0 && t <= 0xbf) {
    n = t & 0x1f;
    start = c.p + 1;
  } else if (t === 0xd9 && c.p + 2 <= b.length) {
    n = b[c.p + 1] as number;
    start = c.p + 2;
  } else if (t === 0xda && c.p + 3 <= b.length) {
    n = ((b[c.p + 1] as number) << 8) | (b[c.p + 2] as number);
    start = c.p + 3;
  } else return null;
  const end = start + n;
  if (end > b.length) return null;
  let s = '';
  for (let i = start; i < end; i++) {
    const ch = b[i] as number;
    if (ch >= 0x80) return null;
    s += String.fromCharCode(ch);
  }
  c.p = end;
  return s;
}

/**
 * An unsigned integer no larger than 2^53 - 1 (positive fixint, uint8..uint64, or a float64
 * holding one), or -1.
 */
function uint(c: Cursor): number {
  const { b } = c;
  const t = b[c.p];
  if (t === undefined) return -1;
  if (t <= 0x7f) {
    c.p += 1;
    return t;
  }
  const p = c.p + 1;
  switch (t) {
    case 0xcc:
      if (p + 1 > b.length) return -1;
      c.p = p + 1;
      return b[p] as number;
    case 0xcd:
      if (p + 2 > b.length) return -1;
      c.p = p + 2;
      return ((b[p] as number) << 8) | (b[p + 1] as number);
    case 0xce:
      if (p + 4 > b.length) return -1;
      c.p = p + 4;
      return readU32(b, p);
    case 0xcf: {
      if (p + 8 > b.length) return -1;
      const high = readU32(b, p);
      if (high > MAX_SAFE_HIGH) return -1;
      c.p = p + 8;
      return high * 0x100000000 + readU32(b, p + 4);
    }
    case 0xcb: {
      // msgpackr writes integers of 2^32 and above as float64.
      if (p + 8 > b.length) return -1;
      const v = new DataView(b.buffer, b.byteOffset + p, 8).getFloat64(0);
      if (!Number.isSafeInteger(v) || v < 0) return -1;
      c.p = p + 8;
      return v === 0 ? 0 : v;
    }
    default:
      return -1;
  }
}

/** A bin8/16/32's bounds within the payload, or null. */
function binRange(c: Cursor): { readonly start: number; readonly end: number } | null {
  const { b } = c;
  const t = b[c.p];
  let n: number;
  let start: number;
  if (t === 0xc4 && c.p + 2 <= b.length) {
    n = b[c.p + 1] as number;
    start = c.p + 2;
  } else if (t === 0xc5 && c.p + 3 <= b.length) {
    n = ((b[c.p + 1] as number) << 8) | (b[c.p + 2] as number);
    start = c.p + 3;
  } else if (t === 0xc6 && c.p + 5 <= b.length) {
    n = readU32(b, c.p + 1);
    start = c.p + 5;
  } else return null;
  const end = start + n;
  if (end > b.length) return null;
  c.p = end;
  return { start, end };
}

function readU32(b: Uint8Array, p: number): number {
  return (
    (b[p] as number) * 0x1000000 +
    (((b[p + 1] as number) << 16) | ((b[p + 2] as number) << 8) | (b[p + 3] as number))
  );
}

function nodeId(c: Cursor): string | null {
  const s = asciiString(c);
  return s === null || s.length === 0 || s.length > MAX_NODE_ID_LENGTH ? null : s;
}

interface RawEntry {
  readonly term: number;
  readonly index: number;
  readonly start: number;
  readonly end: number;
}

function normalEntry(c: Cursor): RawEntry | null {
  if (mapLength(c) !== 4) return null;
  let seen = 0;
  let term = -1;
  let index = -1;
  let data: { readonly start: number; readonly end: number } | null = null;
  for (let i = 0; i < 4; i++) {
    const k = asciiString(c);
    if (k === 'type' && (seen & 1) === 0) {
      if (asciiString(c) !== 'normal') return null;
      seen |= 1;
    } else if (k === 'term' && (seen & 2) === 0) {
      term = uint(c);
      seen |= 2;
    } else if (k === 'index' && (seen & 4) === 0) {
      index = uint(c);
      seen |= 4;
    } else if (k === 'data' && (seen & 8) === 0) {
      data = binRange(c);
      seen |= 8;
    } else return null;
  }
  if (term < 0 || index < 0 || data === null) return null;
  return { term, index, start: data.start, end: data.end };
}

/** The AppendEntries message `payload` holds, when it has the plain shape; else null. */
export function readAppMessage(payload: Uint8Array): AppendRequest | null {
  const c: Cursor = { b: payload, p: 0 };
  if (mapLength(c) !== 8) return null;
  let seen = 0;
  let from: string | null = null;
  let to: string | null = null;
  let term = -1;
  let prevIndex = -1;
  let prevTerm = -1;
  let commit = -1;
  let raw: RawEntry[] | null = null;
  for (let i = 0; i < 8; i++) {
    const k = asciiString(c);
    let bit: number;
    switch (k) {
      case 'type':
        bit = 1;
        if (asciiString(c) !== 'app') return null;
        break;
      case 'from':
        bit = 2;
        from = nodeId(c);
        break;
      case 'to':
        bit = 4;
        to = nodeId(c);
        break;
      case 'term':
        bit = 8;
        term = uint(c);
        break;
      case 'prevIndex':
        bit = 16;
        prevIndex = uint(c);
        break;
      case 'prevTerm':
        bit = 32;
        prevTerm = uint(c);
        break;
      case 'commit':
        bit = 64;
        commit = uint(c);
        break;
      case 'entries': {
        bit = 128;
        const n = arrayLength(c);
        if (n < 0) return null;
        raw = [];
        for (let j = 0; j < n; j++) {
          const e = normalEntry(c);
          if (e === null) return null;
          raw.push(e);
        }
        break;
      }
      default:
        return null;
    }
    if ((seen & bit) !== 0) return null;
    seen |= bit;
  }
  if (c.p !== payload.length || seen !== 255) return null;
  if (from === null || to === null || raw === null) return null;
  if (term < 0 || prevIndex < 0 || prevTerm < 0 || commit < 0) return null;
  // One copy for the whole frame: entries keep views of it, never of the socket's buffer.
  const own = raw.length === 0 ? payload : new Uint8Array(payload);
  const entries: Entry[] = raw.map((e) => ({
    type: 'normal',
    term: e.term,
    index: e.index,
    data: own.subarray(e.start, e.end),
  }));
  return { type: 'app', from, to, term, prevIndex, prevTerm, entries, commit };
}
