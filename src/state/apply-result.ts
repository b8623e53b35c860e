// What applying a command answers to the client that proposed it, and the check that turns a
// result back into that type after it crossed the wire (a follower forwards writes to the
// leader, and the leader's answer comes back msgpack-encoded).
//   boolean     kv.set / kv.delete (false: check-and-set failed), member.*, cluster.init
//   TxnOutcome  kv.txn: the results, or every failed operation (nothing was applied)
//   null        entries without a result (conf changes, empty entries)
import type { TxnError, TxnKv, TxnOutcome } from './kv-txn.ts';

export type ApplyResult = boolean | null | TxnOutcome;

/**
 * Checks a decoded result and returns a clean copy (byte fields as plain Uint8Array views);
 * throws naming what is wrong, so a garbled answer is never mistaken for a real one.
 */
export function parseApplyResult(v: unknown): ApplyResult {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return v;
  const o = record(v, 'result');
  if (o['ok'] === true) {
    return { ok: true, results: list(o['results'], 'results').map((r, i) => txnKv(r, i)) };
  }
  if (o['ok'] === false) {
    return { ok: false, errors: list(o['errors'], 'errors').map((e, i) => txnError(e, i)) };
  }
  throw new TypeError('apply result: ok must be a boolean');
}

function txnKv(v: unknown, i: number): TxnKv {
  const at = `results[${i}]`;
  const o = record(v, at);
  const value = o['value'];
  if (value !== null && !(value instanceof Uint8Array)) {
    throw new TypeError(`apply result: ${at}.value must be bytes or null`);
  }
  return {
    key: text(o, 'key', at),
    value: value === null ? null : new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
    flags: count(o, 'flags', at),
    createIndex: count(o, 'createIndex', at),
    modifyIndex: count(o, 'modifyIndex', at),
    lockIndex: count(o, 'lockIndex', at),
  };
}

function txnError(v: unknown, i: number): TxnError {
  const at = `errors[${i}]`;
  const o = record(v, at);
  return { opIndex: count(o, 'opIndex', at), what: text(o, 'what', at) };
}

function record(v: unknown, at: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new TypeError(`apply result: ${at} must be a map`);
  }
  return v as Record<string, unknown>;
}

function list(v: unknown, at: string): readonly unknown[] {
  if (!Array.isArray(v)) throw new TypeError(`apply result: ${at} must be an array`);
  return v as readonly unknown[];
}

function text(o: Record<string, unknown>, f: string, at: string): string {
  const v = o[f];
  if (typeof v !== 'string') throw new TypeError(`apply result: ${at}.${f} must be a string`);
  return v;
}

function count(o: Record<string, unknown>, f: string, at: string): number {
  const v = o[f];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new TypeError(`apply result: ${at}.${f} must be a non-negative integer`);
  }
  return v;
}
