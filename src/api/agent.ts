// Consul's /v1/agent endpoints this agent has: the gossip member list.
import type { FastifyInstance } from 'fastify';
import type { GossipMemberInfo } from './backend.ts';
import type { ApiContext } from './context.ts';

/** One element of GET /v1/agent/members, as Consul (serf) shapes it. */
export interface ConsulMember {
  readonly Name: string;
  readonly Addr: string;
  readonly Port: number;
  readonly Tags: Readonly<Record<string, string>>;
  /** serf's MemberStatus: 1 alive, 2 leaving, 3 left, 4 failed. */
  readonly Status: number;
}

const statusCodes: Record<GossipMemberInfo['status'], number> = {
  alive: 1,
  suspect: 1,
  left: 3,
  failed: 4,
};

export function toConsulMember(m: GossipMemberInfo): ConsulMember {
  return { Name: m.name, Addr: m.addr, Port: m.port, Tags: m.tags, Status: statusCodes[m.status] };
}

export function agentRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/v1/agent/members', (): ConsulMember[] =>
    ctx.backend.gossipMembers().map(toConsulMember),
  );
}
