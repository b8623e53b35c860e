// The canonical encoding that event hashes are computed over. An outside verifier must be able to
// re-implement it byte for byte, so it is a published format rather than whatever a library
// emits: the JSON Canonicalization Scheme (RFC 8785), restricted so that no number formatting
// question can arise.
//
//   value   = null | true | false | integer | string | array | object
//   integer = a safe integer (|n| <= 2^53 - 1) written in decimal, "-" for negatives, no
//             exponent, no fraction, no leading zeros ("-0" is written "0"); any other number
//             is refused by the encoder, so it never appears in an event
//   string  = as ECMAScript JSON.stringify writes it (= RFC 8785): '"', '\\', and U+0000-U+001F
//             escaped (\b \t \n \f \r, others as \u00xx in lowercase hex), lone surrogates as
//             \udxxx, every other character literal
//   array   = "[" elements joined by "," "]"
//   object  = "{" "key":value members joined by "," "}", keys sorted by UTF-16 code units,
//             members whose value is undefined left out
//   no whitespace anywhere; the result is encoded as UTF-8.
//
// Any RFC 8785 implementation produces the same bytes for these values.

export type CanonicalValue =
  | null
  | boolean
  | number
  | string
  | readonly CanonicalValue[]
  | { readonly [key: string]: CanonicalValue | undefined };

/** Bound on nesting, so a hostile value cannot exhaust the stack. */
const DEPTH_MAX = 32;

export class CanonicalError extends Error {
  readonly code = 'NOT_CANONICAL';
}

const utf8 = new TextEncoder();

export function canonicalJson(v: CanonicalValue): string {
  return write(v, 0);
}

/**
 * The encoding of `v` as a member nested `depth` levels down in a larger value, so the nesting
 * bound counts from the outer value's top (event-encoding.ts writes events' outer level itself).
 */
export function canonicalJsonAt(v: CanonicalValue, depth: number): string {
  return write(v, depth);
}

export function canonicalBytes(v: CanonicalValue): Uint8Array {
  return utf8.encode(canonicalJson(v));
}

function write(v: CanonicalValue, depth: number): string {
  if (depth > DEPTH_MAX) throw new CanonicalError(`nested deeper than ${DEPTH_MAX}`);
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      if (!Number.isSafeInteger(v)) throw new CanonicalError(`${v} is not a safe integer`);
      return String(v === 0 ? 0 : v);
    case 'string':
      return JSON.stringify(v);
    default:
      break;
  }
  if (isArray(v)) return `[${v.map((x) => write(x, depth + 1)).join(',')}]`;
  const keys = Object.keys(v).sort(byCodeUnits);
  const members: string[] = [];
  for (const k of keys) {
    const x = v[k];
    if (x !== undefined) members.push(`${JSON.stringify(k)}:${write(x, depth + 1)}`);
  }
  return `{${members.join(',')}}`;
}

function isArray(v: object): v is readonly CanonicalValue[] {
  return Array.isArray(v);
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
