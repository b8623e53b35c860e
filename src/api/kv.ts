// Consul's /v1/kv endpoints. Keys are everything after /v1/kv/ (slashes included, percent-
// decoded), values are the raw request body whatever its content type.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { KvEntry } from '../state/index.ts';
import { prepareRead, proposeKv, setQueryMeta } from './consensus.ts';
import type { ApiContext } from './context.ts';
import { ApiError, badRequest } from './errors.ts';
import { asQuery, has, optUint, param, readOptions, type Query } from './query.ts';

/** Consul's default kv_max_value_size: a value of exactly this many bytes is accepted. */
export const MAX_VALUE_BYTES = 512 * 1024;

/** The JSON Consul clients decode (field order as Consul writes it; Session only when held). */
export interface ConsulKvPair {
  readonly LockIndex: number;
  readonly Key: string;
  readonly Flags: number;
  /** Base64; null for no value or an empty one, as Consul stores an empty body as no value. */
  readonly Value: string | null;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
}

export function kvRoutes(app: FastifyInstance, ctx: ApiContext): void {
  // Values are opaque bytes: no parser may reinterpret a JSON or text body (this plugin's
  // context only; other routes keep fastify's parsers).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => {
    done(null, body);
  });
  app.get('/v1/kv/*', (req, reply) => getKv(ctx, req, reply));
  app.put('/v1/kv/*', { bodyLimit: MAX_VALUE_BYTES }, (req) => putKv(ctx, req));
  app.delete('/v1/kv/*', (req) => deleteKv(ctx, req));
  app.route({
    method: ['POST', 'PATCH'],
    url: '/v1/kv/*',
    handler: (_req, reply) => {
      void reply.header('Allow', 'GET, PUT, DELETE');
      throw new ApiError(405, 'method not allowed; use GET, PUT or DELETE');
    },
  });
}

function keyOf(req: FastifyRequest): string {
  const params = req.params as Readonly<Record<string, string | undefined>>;
  return params['*'] ?? '';
}

function requireKey(key: string): void {
  if (key === '') throw badRequest('key', 'a key is required: /v1/kv/<key>');
}

async function getKv(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const q = asQuery(req.query);
  const key = keyOf(req);
  const opts = readOptions(q, ctx.random);
  const mode = has(q, 'keys') ? 'keys' : has(q, 'recurse') ? 'recurse' : 'get';
  if (mode === 'get') requireKey(key);
  await prepareRead(ctx, reply, opts);
  // Read and stamp the index in one synchronous step, so the header matches the data.
  setQueryMeta(ctx, reply, opts);
  const kv = ctx.backend.state.kv;
  if (mode === 'keys') {
    // "seperator" is a misspelling Consul has always accepted too.
    const sep = param(q, 'separator') ?? param(q, 'seperator') ?? '';
    const keys = listKeys(kv.list(key), key, sep);
    // As Consul: the root answers an empty list, any other prefix with no keys is absent.
    return keys.length === 0 && key !== '' ? reply.code(404).send() : keys;
  }
  if (mode === 'recurse') {
    const entries = kv.list(key);
    return entries.length === 0 ? reply.code(404).send() : entries.map(toConsul);
  }
  const entry = kv.get(key);
  if (entry === undefined) return reply.code(404).send();
  return has(q, 'raw') ? sendRaw(reply, entry.value) : [toConsul(entry)];
}

function sendRaw(reply: FastifyReply, value: Uint8Array): FastifyReply {
  // A stored value is untrusted: a browser must neither sniff it into HTML nor run it.
  return reply
    .headers({
      'Content-Type': 'text/plain',
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': 'sandbox',
    })
    .send(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
}

/** A value as Consul's JSON carries it: base64, and null for none or an empty one. */
export function valueBase64(v: Uint8Array | null): string | null {
  return v === null || v.byteLength === 0
    ? null
    : Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

export function toConsul(e: KvEntry): ConsulKvPair {
  return {
    LockIndex: e.lockIndex,
    Key: e.key,
    Flags: e.flags,
    Value: valueBase64(e.value),
    CreateIndex: e.createIndex,
    ModifyIndex: e.modifyIndex,
  };
}

/**
 * Key names under `prefix`. With a separator, each key is cut just after the first separator
 * following the prefix (a "directory"), and repeats are dropped.
 */
export function listKeys(entries: readonly KvEntry[], prefix: string, separator: string): string[] {
  const out = new Set<string>();
  for (const { key } of entries) {
    const at = separator === '' ? -1 : key.indexOf(separator, prefix.length);
    out.add(at < 0 ? key : key.slice(0, at + separator.length));
  }
  return [...out];
}

async function putKv(ctx: ApiContext, req: FastifyRequest): Promise<boolean> {
  const key = keyOf(req);
  requireKey(key);
  const q = asQuery(req.query);
  refuseSessions(q);
  const flags = optUint(q, 'flags') ?? 0;
  const cas = optUint(q, 'cas');
  return proposeKv(ctx, { t: 'kv.set', key, value: bodyBytes(req.body), flags, cas });
}

/** Sessions (locks) do not exist here; accepting acquire/release would fake a lock. */
function refuseSessions(q: Query): void {
  for (const field of ['acquire', 'release']) {
    if (has(q, field)) throw badRequest(field, `${field}: sessions are not supported`);
  }
}

function bodyBytes(body: unknown): Uint8Array {
  if (body === undefined || body === null) return new Uint8Array(0);
  // Not copied: the command's encoding copies the bytes before anything keeps them.
  if (body instanceof Uint8Array) return body;
  throw new Error(`kv body parsed as ${typeof body}, expected bytes`);
}

async function deleteKv(ctx: ApiContext, req: FastifyRequest): Promise<boolean> {
  const key = keyOf(req);
  const q = asQuery(req.query);
  const recurse = has(q, 'recurse');
  const cas = optUint(q, 'cas');
  // Consul refuses the pair too: a check-and-set has no meaning for a whole tree.
  if (recurse && cas !== null) throw badRequest('cas', 'cas cannot be combined with recurse');
  if (!recurse) requireKey(key);
  return proposeKv(ctx, { t: 'kv.delete', key, recurse, cas });
}
