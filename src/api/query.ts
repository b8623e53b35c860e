// Query-string parsing shared by the Consul endpoints. Consul treats boolean options as present
// or absent (`?recurse` and `?recurse=false` both recurse) and takes the first of repeated
// parameters; numbers are unsigned decimal integers and durations use Go's syntax. Anything
// else is refused with 400 naming the parameter, before the request has any effect.
import { badRequest } from './errors.ts';

export type Query = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Consul's blocking-query bounds: 5 minutes when `wait` is absent, never more than 10. */
export const DEFAULT_WAIT_MS = 5 * 60_000;
export const MAX_WAIT_MS = 10 * 60_000;
/** Up to wait/16 extra, so clients that started together do not all wake together. */
export const JITTER_FRACTION = 16;

export function asQuery(raw: unknown): Query {
  return typeof raw === 'object' && raw !== null ? (raw as Query) : {};
}

export function has(q: Query, name: string): boolean {
  return q[name] !== undefined;
}

export function param(q: Query, name: string): string | undefined {
  const v = q[name];
  return typeof v === 'string' || v === undefined ? v : v[0];
}

/** An unsigned decimal integer that a JavaScript number holds exactly. */
export function parseUint(field: string, raw: string): number {
  if (!/^[0-9]+$/.test(raw)) {
    throw badRequest(field, `${field} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  }
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) {
    throw badRequest(field, `${field} is too large (max ${Number.MAX_SAFE_INTEGER})`);
  }
  return n;
}

/** null when absent; present but empty is an error, as Consul fails to parse it. */
export function optUint(q: Query, field: string): number | null {
  const raw = param(q, field);
  return raw === undefined ? null : parseUint(field, raw);
}

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  '\u00b5s': 1e-3, // micro sign
  '\u03bcs': 1e-3, // Greek mu
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * A Go duration ("300ms", "1.5h", "2m30s", "0") in milliseconds; null when malformed. Bare
 * numbers other than 0 are malformed in Go, so "30" is refused rather than guessed at.
 */
export function parseGoDuration(text: string): number | null {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return null;
  let total = 0;
  while (rest.length > 0) {
    const m = /^([0-9]*)(?:\.([0-9]*))?([^0-9.]+)/u.exec(rest);
    if (m === null) return null;
    const [whole, int = '', frac, unit = ''] = m;
    const factor = UNIT_MS[unit];
    if (factor === undefined || (int === '' && (frac ?? '') === '')) return null;
    total += Number(`${int || '0'}.${frac ?? ''}0`) * factor;
    rest = rest.slice(whole.length);
  }
  return Number.isFinite(total) ? sign * total : null;
}

export interface ReadOptions {
  /** Answer from the local replica without confirming it is up to date. */
  readonly stale: boolean;
  /** Blocking query: hold the answer until the index passes this (0 = do not block). */
  readonly minIndex: number;
  /** How long a blocking query may be held, jitter included. */
  readonly waitMs: number;
}

/** Consistency mode and blocking parameters of a read. `random` is in [0, 1). */
export function readOptions(q: Query, random: () => number): ReadOptions {
  const stale = has(q, 'stale');
  if (stale && has(q, 'consistent')) {
    throw badRequest('consistent', 'stale and consistent are mutually exclusive');
  }
  // Consul ignores an empty index or wait, so clients that always send them keep working.
  const rawIndex = param(q, 'index') ?? '';
  const minIndex = rawIndex === '' ? 0 : parseUint('index', rawIndex);
  return { stale, minIndex, waitMs: waitWithJitter(param(q, 'wait') ?? '', random) };
}

function waitWithJitter(raw: string, random: () => number): number {
  const parsed = raw === '' ? 0 : parseGoDuration(raw);
  if (parsed === null) {
    throw badRequest(
      'wait',
      `wait must be a duration such as "10s" or "5m", got ${JSON.stringify(raw)}`,
    );
  }
  if (parsed < 0) throw badRequest('wait', 'wait must not be negative');
  const base = parsed === 0 ? DEFAULT_WAIT_MS : Math.min(Math.ceil(parsed), MAX_WAIT_MS);
  return base + Math.floor(random() * (base / JITTER_FRACTION));
}
