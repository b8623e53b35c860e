// The management database's own read endpoints: the hash-chained event log, its verification,
// and the members table.
//
//   GET /v1/sappers/events?from=N&limit=L   events with Index >= N, oldest first, at most L
//       (default 1000, max 10000). Blocking like Consul's queries (?index=X&wait=D holds the
//       answer until an event newer than X exists); X-Consul-Index is the newest event's index,
//       so a reader pages with from=<last Index + 1>&index=<X-Consul-Index>. Events older than
//       the node's retained window are gone; X-Sappers-Events-Oldest-Index says where it starts.
//   GET /v1/sappers/events/verify           recomputes the chain on this node's replica:
//       {"ok":true,"length":N,"head":H} or {"ok":false,"brokenAt":I,"reason","expected",
//       "found","length"}, 200 either way.
//   GET /v1/sappers/members                 the members table, ordered by ID; blocking on its
//       own index.
//
// Reads are linearizable unless ?stale, as for /v1/kv.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ChainEvent, EventData, MemberRow, VerifyResult } from '../state/index.ts';
import { prepareRead, setQueryMeta } from './consensus.ts';
import type { ApiContext } from './context.ts';
import { ApiError, badRequest } from './errors.ts';
import { asQuery, optUint, readOptions, type ReadOptions } from './query.ts';

export const EVENTS_LIMIT_DEFAULT = 1000;
export const EVENTS_LIMIT_MAX = 10_000;
/** Verification hashes the whole retained chain; more at once would only queue CPU work. */
export const VERIFY_INFLIGHT_MAX = 2;

export interface EventJson {
  readonly Index: number;
  readonly Term: number;
  /** RFC 3339 with milliseconds, UTC: exactly the event's time in ms. */
  readonly Time: string;
  readonly Type: string;
  readonly Subject: string;
  readonly Data: EventData;
  readonly Prev: string;
  readonly Hash: string;
}

export interface MemberJson {
  readonly ID: string;
  readonly RaftAddr: string;
  readonly HTTPAddr: string;
  readonly GossipAddr: string;
  readonly Tags: readonly string[];
  readonly CPUFreeMilli: number;
  readonly MemFreeBytes: number;
  readonly Status: string;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
  readonly UpdatedAt: string;
}

export function eventsRoutes(app: FastifyInstance, ctx: ApiContext): void {
  let verifying = 0;
  app.get('/v1/sappers/events', (req, reply) => listEvents(ctx, req, reply));
  app.get('/v1/sappers/events/verify', async (): Promise<VerifyResult> => {
    if (verifying >= VERIFY_INFLIGHT_MAX) {
      throw new ApiError(429, `too many verifications in progress (${VERIFY_INFLIGHT_MAX})`);
    }
    verifying++;
    try {
      return await ctx.backend.state.events.verifyAsync();
    } finally {
      verifying--;
    }
  });
  app.get('/v1/sappers/members', (req, reply) => listMembers(ctx, req, reply));
}

async function listEvents(
  ctx: ApiContext,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<EventJson[]> {
  const q = asQuery(req.query);
  const opts = readOptions(q, ctx.random);
  const from = optUint(q, 'from') ?? 0;
  const limit = optUint(q, 'limit') ?? EVENTS_LIMIT_DEFAULT;
  if (limit < 1 || limit > EVENTS_LIMIT_MAX) {
    throw badRequest('limit', `limit must be between 1 and ${EVENTS_LIMIT_MAX}, got ${limit}`);
  }
  const events = ctx.backend.state.events;
  await holdRead(ctx, reply, opts, () => events.lastIndex);
  stampIndex(ctx, reply, opts, events.lastIndex);
  void reply.header('X-Sappers-Events-Oldest-Index', String(events.oldestIndex() ?? 0));
  return events.from(from, limit).map(eventJson);
}

async function listMembers(
  ctx: ApiContext,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<MemberJson[]> {
  const opts = readOptions(asQuery(req.query), ctx.random);
  const members = ctx.backend.state.members;
  await holdRead(ctx, reply, opts, () => members.index);
  stampIndex(ctx, reply, opts, members.index);
  return members.list().map(memberJson);
}

export function eventJson(e: ChainEvent): EventJson {
  return {
    Index: e.index,
    Term: e.term,
    Time: new Date(e.time).toISOString(),
    Type: e.type,
    Subject: e.subject,
    Data: e.data,
    Prev: e.prev,
    Hash: e.hash,
  };
}

export function memberJson(m: MemberRow): MemberJson {
  return {
    ID: m.id,
    RaftAddr: m.raftAddr,
    HTTPAddr: m.httpAddr,
    GossipAddr: m.gossipAddr,
    Tags: m.tags,
    CPUFreeMilli: m.cpuFreeMilli,
    MemFreeBytes: m.memFreeBytes,
    Status: m.status,
    CreateIndex: m.createIndex,
    ModifyIndex: m.modifyIndex,
    UpdatedAt: new Date(m.updatedAt).toISOString(),
  };
}

/** Consul's query headers, with X-Consul-Index taken from this table (never 0). */
function stampIndex(ctx: ApiContext, reply: FastifyReply, opts: ReadOptions, index: number): void {
  setQueryMeta(ctx, reply, opts);
  void reply.header('X-Consul-Index', String(Math.max(1, index)));
}

/** The read barrier (unless stale), then a blocking query on `indexOf` when one was asked. */
function holdRead(
  ctx: ApiContext,
  reply: FastifyReply,
  opts: ReadOptions,
  indexOf: () => number,
): Promise<void> {
  return prepareRead(ctx, reply, opts, indexOf);
}
