// Commands replicated through the Raft log. Encoded with msgpack (no records extension, so any
// msgpack reader can decode them) and validated on decode: a log entry is data from disk or the
// wire, and a malformed one must be refused loudly, never half-applied.
//
// Every command may carry `at`, milliseconds since the epoch, stamped by the node that proposes
// it (encodeCommand fills it in). It is the event time the state machine records; apply never
// reads a clock, so every replica derives the same times from the same log.
import { Packr } from 'msgpackr';
import { decodeKvSet, encodeKvSet } from './kv-set-codec.ts';

export const MEMBER_STATUSES = ['alive', 'suspect', 'failed', 'left'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

/** Bounds on member rows: gossip metadata is small, and the table lives in every snapshot. */
export const MEMBER_TAGS_MAX = 64;
export const MEMBER_TEXT_BYTES_MAX = 256;
/** The latest instant a JavaScript Date (and RFC 3339 output) can hold. */
export const AT_MAX_MS = 8.64e15;
/** Operations in one kv.txn: Consul's limit for a transaction. */
export const TXN_OPS_MAX = 64;

/**
 * One operation of a kv.txn, with Consul's transaction verbs. `index` is the ModifyIndex a
 * check-and-set compares with (0 = the key must be absent, for cas); tree verbs take a prefix.
 */
export type TxnOp =
  | {
      readonly verb: 'set';
      readonly key: string;
      readonly value: Uint8Array;
      readonly flags: number;
    }
  | {
      readonly verb: 'cas';
      readonly key: string;
      readonly value: Uint8Array;
      readonly flags: number;
      readonly index: number;
    }
  | { readonly verb: 'delete-cas' | 'check-index'; readonly key: string; readonly index: number }
  | {
      readonly verb: 'delete' | 'delete-tree' | 'get' | 'get-tree' | 'check-not-exists';
      readonly key: string;
    };

export type TxnVerb = TxnOp['verb'];
export const TXN_VERBS: readonly TxnVerb[] = [
  'set',
  'cas',
  'delete',
  'delete-cas',
  'delete-tree',
  'get',
  'get-tree',
  'check-index',
  'check-not-exists',
];
/** Verbs that only read: a transaction made of these alone changes nothing. */
export const TXN_READ_VERBS: readonly TxnVerb[] = [
  'get',
  'get-tree',
  'check-index',
  'check-not-exists',
];

export interface MemberFields {
  readonly id: string;
  /** host:port of the node's Raft transport. */
  readonly raftAddr: string;
  readonly httpAddr: string;
  readonly gossipAddr: string;
  readonly tags: readonly string[];
  /** Free CPU in thousandths of a core. */
  readonly cpuFreeMilli: number;
  readonly memFreeBytes: number;
  readonly status: MemberStatus;
}

/** Event time in ms since the epoch; absent in old entries (see the file header). */
interface Stamped {
  readonly at?: number;
}

export type Command =
  | (Stamped & {
      readonly t: 'kv.set';
      readonly key: string;
      readonly value: Uint8Array;
      readonly flags: number;
      /** Consul check-and-set: 0 = only if absent, N = only if ModifyIndex is N. */
      readonly cas: number | null;
    })
  | (Stamped & {
      readonly t: 'kv.delete';
      readonly key: string;
      readonly recurse: boolean;
      readonly cas: number | null;
    })
  /** Full replace of the member's row. */
  | (Stamped & MemberFields & { readonly t: 'member.upsert' })
  | (Stamped & { readonly t: 'member.remove'; readonly id: string })
  /** All of `ops` or none of them, in one entry (apply-command.ts, kv-txn.ts). */
  | (Stamped & { readonly t: 'kv.txn'; readonly ops: readonly TxnOp[] })
  /** Sets the cluster id once; a different id later is refused (result false). */
  | (Stamped & { readonly t: 'cluster.init'; readonly clusterId: string });

export type CommandType = Command['t'];

const packr = new Packr({ useRecords: false, moreTypes: false });

export class CommandError extends Error {
  readonly code = 'BAD_COMMAND';
  readonly field: string;
  readonly reason: string;

  constructor(field: string, reason: string) {
    super(`command field ${field}: ${reason}`);
    this.name = 'CommandError';
    this.field = field;
    this.reason = reason;
  }
}

/** Validates the command, stamps `at` with the local clock when absent, and encodes it. */
export function encodeCommand(c: Command, nowMs: () => number = Date.now): Uint8Array {
  const stamped = c.at === undefined ? { ...c, at: nowMs() } : c;
  const valid = validateCommand(stamped);
  if (valid.t === 'kv.set' && valid.at !== undefined)
    return encodeKvSet({ ...valid, at: valid.at });
  return packr.pack(valid);
}

export function decodeCommand(bytes: Uint8Array): Command {
  const kvSet = decodeKvSet(bytes);
  if (kvSet !== null) return kvSet;
  let raw: unknown;
  try {
    raw = packr.unpack(bytes);
  } catch (err) {
    throw new CommandError('(entry)', `not msgpack: ${String(err)}`);
  }
  return validateCommand(raw);
}

/**
 * Checks every field of a command-shaped value and returns a clean copy (unknown fields
 * dropped); throws CommandError naming the first bad field. Use it before proposing.
 */
export function validateCommand(raw: unknown): Command {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new CommandError('(entry)', 'not a map');
  }
  const o = raw as Record<string, unknown>;
  const at = optAt(o);
  const stamp = at === null ? {} : { at };
  switch (o['t']) {
    case 'kv.set':
      return {
        t: 'kv.set',
        key: str(o, 'key'),
        value: bytesField(o, 'value'),
        flags: uint(o, 'flags'),
        cas: optUint(o, 'cas'),
        ...stamp,
      };
    case 'kv.delete':
      return {
        t: 'kv.delete',
        key: str(o, 'key'),
        recurse: bool(o, 'recurse'),
        cas: optUint(o, 'cas'),
        ...stamp,
      };
    case 'kv.txn':
      return { t: 'kv.txn', ops: txnOps(o), ...stamp };
    case 'member.upsert':
      return { t: 'member.upsert', ...memberFields(o), ...stamp };
    case 'member.remove':
      return { t: 'member.remove', id: text(o, 'id', false), ...stamp };
    case 'cluster.init':
      return { t: 'cluster.init', clusterId: text(o, 'clusterId', false), ...stamp };
    default:
      throw new CommandError('t', `unknown command type ${JSON.stringify(o['t'])}`);
  }
}

function txnOps(o: Record<string, unknown>): TxnOp[] {
  const v = o['ops'];
  if (!Array.isArray(v) || v.length === 0) {
    throw new CommandError('ops', 'must be a non-empty array');
  }
  if (v.length > TXN_OPS_MAX) {
    throw new CommandError('ops', `must have at most ${TXN_OPS_MAX} operations`);
  }
  return v.map((raw: unknown, i) => {
    try {
      return txnOp(raw);
    } catch (err) {
      if (!(err instanceof CommandError)) throw err;
      throw new CommandError(`ops[${i}]${err.field === '' ? '' : `.${err.field}`}`, err.reason);
    }
  });
}

/** One operation; errors name the field inside the operation ('' = the operation itself). */
function txnOp(raw: unknown): TxnOp {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new CommandError('', 'not a map');
  }
  const o = raw as Record<string, unknown>;
  const verb = TXN_VERBS.find((v) => v === o['verb']);
  if (verb === undefined) throw new CommandError('verb', `must be one of ${TXN_VERBS.join(', ')}`);
  const key = str(o, 'key');
  // Tree verbs take a prefix, and "" is the whole table; every other verb names one key.
  if (key === '' && verb !== 'delete-tree' && verb !== 'get-tree') {
    throw new CommandError('key', 'must not be empty');
  }
  switch (verb) {
    case 'set':
      return { verb, key, value: bytesField(o, 'value'), flags: uint(o, 'flags') };
    case 'cas':
      return {
        verb,
        key,
        value: bytesField(o, 'value'),
        flags: uint(o, 'flags'),
        index: uint(o, 'index'),
      };
    case 'delete-cas':
    case 'check-index':
      return { verb, key, index: uint(o, 'index') };
    default:
      return { verb, key };
  }
}

function memberFields(o: Record<string, unknown>): MemberFields {
  return {
    id: text(o, 'id', false),
    raftAddr: text(o, 'raftAddr', true),
    httpAddr: text(o, 'httpAddr', true),
    gossipAddr: text(o, 'gossipAddr', true),
    tags: tags(o),
    cpuFreeMilli: uint(o, 'cpuFreeMilli'),
    memFreeBytes: uint(o, 'memFreeBytes'),
    status: status(o),
  };
}

function str(o: Record<string, unknown>, f: string): string {
  const v = o[f];
  if (typeof v !== 'string') throw new CommandError(f, 'must be a string');
  return v;
}

/** A bounded string; `emptyOk` false also refuses "". */
function text(o: Record<string, unknown>, f: string, emptyOk: boolean): string {
  const v = str(o, f);
  if (!emptyOk && v === '') throw new CommandError(f, 'must not be empty');
  if (Buffer.byteLength(v) > MEMBER_TEXT_BYTES_MAX) {
    throw new CommandError(f, `must be at most ${MEMBER_TEXT_BYTES_MAX} bytes`);
  }
  return v;
}

function tags(o: Record<string, unknown>): string[] {
  const v = o['tags'];
  if (!Array.isArray(v)) throw new CommandError('tags', 'must be an array of strings');
  if (v.length > MEMBER_TAGS_MAX) {
    throw new CommandError('tags', `must have at most ${MEMBER_TAGS_MAX} entries`);
  }
  return v.map((tag: unknown, i) => {
    const field = `tags[${i}]`;
    if (typeof tag !== 'string' || tag === '')
      throw new CommandError(field, 'must be a non-empty string');
    if (Buffer.byteLength(tag) > MEMBER_TEXT_BYTES_MAX) {
      throw new CommandError(field, `must be at most ${MEMBER_TEXT_BYTES_MAX} bytes`);
    }
    return tag;
  });
}

function status(o: Record<string, unknown>): MemberStatus {
  const v = o['status'];
  const found = MEMBER_STATUSES.find((s) => s === v);
  if (found === undefined) {
    throw new CommandError('status', `must be one of ${MEMBER_STATUSES.join(', ')}`);
  }
  return found;
}

function bool(o: Record<string, unknown>, f: string): boolean {
  const v = o[f];
  if (typeof v !== 'boolean') throw new CommandError(f, 'must be a boolean');
  return v;
}

function uint(o: Record<string, unknown>, f: string): number {
  const v = o[f];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new CommandError(f, 'must be a non-negative integer');
  }
  return v;
}

function optUint(o: Record<string, unknown>, f: string): number | null {
  return o[f] === null || o[f] === undefined ? null : uint(o, f);
}

function optAt(o: Record<string, unknown>): number | null {
  const at = optUint(o, 'at');
  if (at !== null && at > AT_MAX_MS) throw new CommandError('at', `must be at most ${AT_MAX_MS}`);
  return at;
}

function bytesField(o: Record<string, unknown>, f: string): Uint8Array {
  const v = o[f];
  if (!(v instanceof Uint8Array)) throw new CommandError(f, 'must be bytes');
  // msgpackr yields Buffers; keep one representation everywhere.
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}
