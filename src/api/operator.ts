// Consul's /v1/operator/raft endpoints: read the Raft configuration, remove a server from it.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PeerInfo } from './backend.ts';
import { prepareRead } from './consensus.ts';
import type { ApiContext } from './context.ts';
import { backendError, badRequest } from './errors.ts';
import { asQuery, param, readOptions } from './query.ts';

/** One server as Consul's api.RaftServer encodes it. */
export interface ConsulRaftServer {
  readonly ID: string;
  readonly Node: string;
  readonly Address: string;
  readonly Leader: boolean;
  readonly ProtocolVersion: string;
  readonly Voter: boolean;
}

export interface ConsulRaftConfiguration {
  readonly Servers: readonly ConsulRaftServer[];
  readonly Index: number;
}

export function operatorRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/v1/operator/raft/configuration', (req, reply) => readConfiguration(ctx, req, reply));
  app.delete('/v1/operator/raft/peer', (req, reply) => removePeer(ctx, req, reply));
}

async function readConfiguration(
  ctx: ApiContext,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<ConsulRaftConfiguration> {
  const opts = readOptions(asQuery(req.query), ctx.random);
  // Not a blocking endpoint in Consul: an index parameter is accepted and ignored.
  await prepareRead(ctx, reply, { ...opts, minIndex: 0 });
  const status = ctx.backend.raftStatus();
  const servers = ctx.backend.peers().map((p) => toConsul(p, p.id === status.leader));
  // The configuration's own log index is not exposed by the Raft core; the commit index is
  // at or after it, which is what clients use the field for (has anything changed?).
  return { Servers: servers, Index: status.commit };
}

function toConsul(p: PeerInfo, leader: boolean): ConsulRaftServer {
  return {
    ID: p.id,
    Node: p.id,
    Address: p.raftAddr,
    Leader: leader,
    ProtocolVersion: '3',
    Voter: p.voter,
  };
}

async function removePeer(
  ctx: ApiContext,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const id = peerToRemove(ctx, asQuery(req.query));
  try {
    await ctx.backend.removePeer(id, ctx.timeoutMs);
  } catch (err) {
    throw backendError(err, 'membership change');
  }
  return reply.code(200).send();
}

/** The id named by ?id= or found by ?address= (exactly one of them). */
function peerToRemove(ctx: ApiContext, q: ReturnType<typeof asQuery>): string {
  const id = param(q, 'id') ?? '';
  const address = param(q, 'address') ?? '';
  if (id === '' && address === '') {
    throw badRequest(
      'id',
      'name the server to remove with ?id=<server id> or ?address=<host:port>',
    );
  }
  if (id !== '' && address !== '') {
    throw badRequest('address', 'give either ?id or ?address, not both');
  }
  const peers = ctx.backend.peers();
  const found =
    id !== '' ? peers.find((p) => p.id === id) : peers.find((p) => p.raftAddr === address);
  if (found === undefined) {
    const field = id !== '' ? 'id' : 'address';
    throw badRequest(
      field,
      `${field} ${JSON.stringify(id || address)} is not in the Raft configuration`,
    );
  }
  return found.id;
}
