// The original seed code's API, kept for its scripts: POST /join {"id","addr"}, GET /key/<k>
// → {"<k>": "<value>"}, POST /key {"k": "v", ...}, DELETE /key/<k>. Bodies are JSON whatever
// the content type, because those scripts used `curl -d`, which labels JSON as a form.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { Compile } from 'typebox/compile';
import { TXN_OPS_MAX } from '../state/index.ts';
import { prepareRead, proposeKv, proposeTxn, setQueryMeta } from './consensus.ts';
import type { ApiContext } from './context.ts';
import { backendError, badRequest } from './errors.ts';
import { MAX_VALUE_BYTES } from './kv.ts';
import { asQuery, readOptions } from './query.ts';
import { acceptJsonBodies, check } from './validate.ts';

/** Pairs in one POST /key, written as one transaction (Consul's limit is 64 operations). */
export const MAX_PAIRS = TXN_OPS_MAX;

const JoinBody = Compile(
  Type.Object(
    { id: Type.String({ minLength: 1 }), addr: Type.String({ minLength: 1 }) },
    { additionalProperties: false },
  ),
);
interface JoinRequest {
  readonly id: string;
  readonly addr: string;
}

const PairsBody = Compile(Type.Record(Type.String(), Type.String()));

export function seedCompatRoutes(app: FastifyInstance, ctx: ApiContext): void {
  acceptJsonBodies(app);
  app.post('/join', (req, reply) => join(ctx, req.body, reply));
  app.get('/key/*', (req, reply) => getKey(ctx, req, reply));
  app.post('/key', (req, reply) => setKeys(ctx, req.body, reply));
  app.delete('/key/*', (req, reply) => deleteKey(ctx, req, reply));
}

async function join(ctx: ApiContext, body: unknown, reply: FastifyReply): Promise<FastifyReply> {
  const { id, addr } = check<JoinRequest>(JoinBody, requireBody(body));
  if (!isHostPort(addr))
    throw badRequest('addr', `addr must be host:port, got ${JSON.stringify(addr)}`);
  try {
    await ctx.backend.join(id, addr, ctx.timeoutMs);
  } catch (err) {
    throw backendError(err, 'membership change');
  }
  return reply.code(200).send();
}

/** host:port with a port in 1..65535; an IPv6 host is bracketed, as in a URL. */
export function isHostPort(addr: string): boolean {
  const m = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):([0-9]{1,5})$/.exec(addr);
  const port = Number(m?.[1] ?? 0);
  return port >= 1 && port <= 65535;
}

function requireBody(body: unknown): unknown {
  // No body at all (not even a content type) never reaches the parser.
  if (body === undefined) throw badRequest('body', 'a JSON body is required');
  return body;
}

function keyOf(req: FastifyRequest): string {
  const key = (req.params as Readonly<Record<string, string | undefined>>)['*'] ?? '';
  if (key === '') throw badRequest('key', 'a key is required: /key/<key>');
  return key;
}

async function getKey(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const key = keyOf(req);
  const opts = readOptions(asQuery(req.query), ctx.random);
  await prepareRead(ctx, reply, opts);
  setQueryMeta(ctx, reply, opts);
  const entry = ctx.backend.state.kv.get(key);
  if (entry === undefined) return reply.code(404).send();
  return { [key]: new TextDecoder().decode(entry.value) };
}

async function setKeys(ctx: ApiContext, body: unknown, reply: FastifyReply): Promise<FastifyReply> {
  const pairs = Object.entries(check<Record<string, string>>(PairsBody, requireBody(body)));
  if (pairs.length === 0) throw badRequest('body', 'give at least one "key": "value" pair');
  if (pairs.length > MAX_PAIRS) throw badRequest('body', `at most ${MAX_PAIRS} pairs per request`);
  const encoder = new TextEncoder();
  const values = pairs.map(([key, value]) => {
    if (key === '') throw badRequest('key', 'keys must not be empty');
    const bytes = encoder.encode(value);
    if (bytes.byteLength > MAX_VALUE_BYTES) {
      throw badRequest(
        key,
        `value of ${bytes.byteLength} bytes is over the ${MAX_VALUE_BYTES}-byte limit`,
      );
    }
    return { key, bytes };
  });
  // One kv.txn entry: every pair is written, or (no leader, outcome unknown) none is.
  const outcome = await proposeTxn(
    ctx,
    values.map(({ key, bytes }) => ({ verb: 'set', key, value: bytes, flags: 0 })),
  );
  if (!outcome.ok) {
    // Plain sets have no check to fail; a refusal here is a bug, not a client error.
    throw new Error(`POST /key transaction refused: ${JSON.stringify(outcome.errors)}`);
  }
  return reply.code(200).send();
}

async function deleteKey(
  ctx: ApiContext,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  await proposeKv(ctx, { t: 'kv.delete', key: keyOf(req), recurse: false, cas: null });
  return reply.code(200).send();
}
