// Consul's PUT /v1/txn for key-value operations: up to 64 operations applied all together or
// not at all, in one Raft entry. The body is Consul's: [{"KV": {"Verb", "Key", "Value"
// (base64), "Flags", "Index", "Session"}}]. The answer is 200 {"Results": [{"KV": ...}],
// "Errors": null}, or 409 {"Results": null, "Errors": [{"OpIndex", "What"}]} when a check
// failed (nothing was applied). A transaction of reads only is answered from the local replica
// after a read barrier (or at once with ?stale), without a Raft entry, as Consul does.
//
// Differences from Consul: only KV operations (Node, Service, Check, Session ones are 400);
// the lock, unlock and check-session verbs are refused, as sessions do not exist here.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  isReadOnly,
  readTxn,
  TXN_OPS_MAX,
  TXN_VERBS,
  type TxnKv,
  type TxnOp,
  type TxnOutcome,
  type TxnVerb,
} from '../state/index.ts';
import { prepareRead, proposeTxn, setQueryMeta } from './consensus.ts';
import type { ApiContext } from './context.ts';
import { ApiError, badRequest } from './errors.ts';
import { MAX_VALUE_BYTES, valueBase64, type ConsulKvPair } from './kv.ts';
import { asQuery, readOptions } from './query.ts';
import { acceptJsonBodies } from './validate.ts';

/** Consul's txn_max_req_len default: the whole request body. */
export const TXN_BODY_BYTES_MAX = 512 * 1024;

export interface ConsulTxnResponse {
  readonly Results: readonly { readonly KV: ConsulKvPair }[] | null;
  readonly Errors: readonly { readonly OpIndex: number; readonly What: string }[] | null;
}

const KV_FIELDS = new Set(['Verb', 'Key', 'Value', 'Flags', 'Index', 'Session']);
/** Enterprise fields the Go client may send; only their default is meaningful here. */
const TENANCY_FIELDS = new Set(['Namespace', 'Partition']);
const SESSION_VERBS = new Set(['lock', 'unlock', 'check-session']);

export function txnRoutes(app: FastifyInstance, ctx: ApiContext): void {
  // Consul clients send JSON with or without a JSON content type.
  acceptJsonBodies(app);
  app.put('/v1/txn', { bodyLimit: TXN_BODY_BYTES_MAX }, (req, reply) => txn(ctx, req, reply));
}

async function txn(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const ops = parseTxnBody(req.body);
  let outcome: TxnOutcome;
  if (isReadOnly(ops)) {
    // Consul does not block on transactions: only the consistency mode is taken.
    const opts = { ...readOptions(asQuery(req.query), ctx.random), minIndex: 0 };
    await prepareRead(ctx, reply, opts);
    setQueryMeta(ctx, reply, opts);
    outcome = readTxn(ctx.backend.state.kv, ops);
  } else {
    outcome = await proposeTxn(ctx, ops);
  }
  return reply.code(outcome.ok ? 200 : 409).send(toConsul(outcome));
}

function toConsul(o: TxnOutcome): ConsulTxnResponse {
  if (!o.ok) {
    return { Results: null, Errors: o.errors.map((e) => ({ OpIndex: e.opIndex, What: e.what })) };
  }
  return { Results: o.results.map((r) => ({ KV: kvJson(r) })), Errors: null };
}

function kvJson(r: TxnKv): ConsulKvPair {
  return {
    LockIndex: r.lockIndex,
    Key: r.key,
    Flags: r.flags,
    Value: valueBase64(r.value),
    CreateIndex: r.createIndex,
    ModifyIndex: r.modifyIndex,
  };
}

/** Consul's request body → operations; 400 naming the field at fault (e.g. "[2].KV.Index"). */
export function parseTxnBody(body: unknown): TxnOp[] {
  if (body === undefined) throw badRequest('body', 'a JSON body is required');
  if (!Array.isArray(body)) throw badRequest('body', 'must be an array of operations');
  if (body.length === 0) throw badRequest('body', 'give at least one operation');
  if (body.length > TXN_OPS_MAX) {
    const msg = `Transaction contains too many operations (${body.length} > ${TXN_OPS_MAX})`;
    throw new ApiError(413, msg, 'body');
  }
  return body.map((item: unknown, i) => parseOp(item, `[${i}]`));
}

function parseOp(item: unknown, at: string): TxnOp {
  const outer = object(item, at);
  for (const name of Object.keys(outer)) {
    if (name !== 'KV') throw badRequest(`${at}.${name}`, 'only KV operations are supported');
  }
  const kvAt = `${at}.KV`;
  const o = object(outer['KV'], kvAt);
  const f = (name: string): string => `${kvAt}.${name}`;
  for (const [name, v] of Object.entries(o)) {
    if (KV_FIELDS.has(name)) continue;
    if (TENANCY_FIELDS.has(name) && (v === '' || v === 'default' || v === null)) continue;
    throw badRequest(f(name), `${f(name)} is not a known field`);
  }
  const verb = parseVerb(o['Verb'], f('Verb'));
  const key = o['Key'];
  if (typeof key !== 'string') throw badRequest(f('Key'), `${f('Key')} must be a string`);
  if (key === '' && verb !== 'delete-tree' && verb !== 'get-tree') {
    throw badRequest(f('Key'), `${f('Key')} is required for ${verb}`);
  }
  const session = o['Session'];
  if (session !== undefined && session !== null && session !== '') {
    throw badRequest(f('Session'), 'sessions are not supported');
  }
  // Consul takes a missing Flags or Index as 0.
  const flags = uint(o['Flags'], f('Flags'));
  const index = uint(o['Index'], f('Index'));
  switch (verb) {
    case 'set':
      return { verb, key, value: value(o['Value'], f('Value')), flags };
    case 'cas':
      return { verb, key, value: value(o['Value'], f('Value')), flags, index };
    case 'delete-cas':
    case 'check-index':
      return { verb, key, index };
    default:
      return { verb, key };
  }
}

function parseVerb(v: unknown, field: string): TxnVerb {
  const verb = TXN_VERBS.find((x) => x === v);
  if (verb !== undefined) return verb;
  if (typeof v === 'string' && SESSION_VERBS.has(v)) {
    throw badRequest(field, `${v}: sessions are not supported`);
  }
  throw badRequest(field, `${field} must be one of ${TXN_VERBS.join(', ')}`);
}

function object(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw badRequest(field, `${field} must be an object`);
  }
  return v as Record<string, unknown>;
}

function uint(v: unknown, field: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw badRequest(field, `${field} must be a non-negative integer (max 2^53-1)`);
  }
  return v;
}

/** Base64 (standard alphabet, padded), as Go encodes []byte; null or absent is empty. */
function value(v: unknown, field: string): Uint8Array {
  if (v === undefined || v === null) return new Uint8Array(0);
  if (typeof v !== 'string' || !isBase64(v)) {
    throw badRequest(field, `${field} must be base64 (standard alphabet, padded)`);
  }
  const bytes = Buffer.from(v, 'base64');
  if (bytes.byteLength > MAX_VALUE_BYTES) {
    const msg = `${field} of ${bytes.byteLength} bytes is over the ${MAX_VALUE_BYTES}-byte limit`;
    throw badRequest(field, msg);
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function isBase64(s: string): boolean {
  return s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s);
}
