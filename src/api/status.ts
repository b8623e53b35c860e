// Consul's /v1/status endpoints: where the leader is and who votes, as Raft addresses.
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './context.ts';

export function statusRoutes(app: FastifyInstance, ctx: ApiContext): void {
  // A JSON string; "" when this node knows no leader (Consul's answer during an election).
  app.get('/v1/status/leader', (_req, reply) =>
    reply.type('application/json').send(JSON.stringify(ctx.backend.leaderRaftAddr() ?? '')),
  );
  app.get('/v1/status/peers', () =>
    ctx.backend
      .peers()
      .filter((p) => p.voter)
      .map((p) => p.raftAddr),
  );
}
