// The canonical encoding of one event, written directly for the event's fixed shape instead of
// through the generic encoder (canonical.ts), which sorts keys and builds intermediate arrays
// for every object. The bytes are identical by construction, and a property test checks it:
//   {"data":D,"index":I,"prev":P,"subject":S,"term":T,"time":M,"type":Y}
// (the members of {data, index, prev, subject, term, time, type} already in code-unit order).
// D takes a fast path for a kv.set event's {flags, sha256, size}; every other data object, and
// any field that is not a plain integer or string, goes through the generic encoder at the
// depth it has inside the event, so errors and limits are exactly the generic ones.
import { canonicalJson, canonicalJsonAt, type CanonicalValue } from './canonical.ts';
import type { ChainEvent, EventData } from './event-log.ts';

export type HashedFields = Omit<ChainEvent, 'hash'>;

export function eventCanonicalJson(e: HashedFields): string {
  const { data, index, prev, subject, term, time, type } = e;
  if (
    data === undefined ||
    index === undefined ||
    prev === undefined ||
    subject === undefined ||
    term === undefined ||
    time === undefined ||
    type === undefined
  ) {
    // The generic encoder leaves undefined members out; only it knows that shape.
    return canonicalJson({ data, index, prev, subject, term, time, type });
  }
  return (
    `{"data":${dataJson(data)},"index":${integer(index)},"prev":${text(prev)},` +
    `"subject":${text(subject)},"term":${integer(term)},"time":${integer(time)},` +
    `"type":${text(type)}}`
  );
}

function integer(v: CanonicalValue): string {
  return typeof v === 'number' && Number.isSafeInteger(v)
    ? String(v === 0 ? 0 : v)
    : canonicalJsonAt(v, 1);
}

function text(v: CanonicalValue): string {
  return typeof v === 'string' ? JSON.stringify(v) : canonicalJsonAt(v, 1);
}

function dataJson(d: EventData): string {
  const fast = typeof d === 'object' && d !== null && !Array.isArray(d) ? kvSetData(d) : null;
  return fast ?? canonicalJsonAt(d, 1);
}

/** {flags, sha256, size} with integer flags and size and a string digest, else null. */
function kvSetData(d: EventData): string | null {
  const keys = Object.keys(d);
  if (keys.length !== 3) return null;
  let flags: number | undefined;
  let size: number | undefined;
  let sha256: string | undefined;
  for (const k of keys) {
    const v = d[k];
    if (k === 'flags' && typeof v === 'number' && Number.isSafeInteger(v)) flags = v;
    else if (k === 'size' && typeof v === 'number' && Number.isSafeInteger(v)) size = v;
    else if (k === 'sha256' && typeof v === 'string') sha256 = v;
    else return null;
  }
  if (flags === undefined || size === undefined || sha256 === undefined) return null;
  return `{"flags":${integer(flags)},"sha256":${JSON.stringify(sha256)},"size":${integer(size)}}`;
}
