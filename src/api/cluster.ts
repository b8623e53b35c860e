// GET /v1/sappers/cluster: the cluster as this node sees it (what `sappers status` prints).
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './context.ts';

export interface ClusterServerJson {
  readonly ID: string;
  readonly Address: string;
  readonly Voter: boolean;
  readonly MatchIndex: number | null;
  readonly LastContactMs: number | null;
  readonly Healthy: boolean;
}

export interface ClusterMemberJson {
  readonly Name: string;
  readonly Addr: string;
  readonly Status: 'alive' | 'suspect' | 'failed' | 'left';
  readonly Tags: Readonly<Record<string, string>>;
  readonly CpuFreeMilli: number | null;
  readonly MemFreeBytes: number | null;
}

export interface ClusterJson {
  readonly ClusterId: string | null;
  /** Node id of the leader this node knows of, or null. */
  readonly Leader: string | null;
  readonly Term: number;
  readonly CommitIndex: number;
  readonly Servers: readonly ClusterServerJson[];
  readonly Members: readonly ClusterMemberJson[];
}

export function clusterRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/v1/sappers/cluster', (): ClusterJson => {
    const c = ctx.backend.clusterInfo();
    return {
      ClusterId: c.clusterId,
      Leader: c.leader,
      Term: c.term,
      CommitIndex: c.commitIndex,
      Servers: c.servers.map((s) => ({
        ID: s.id,
        Address: s.address,
        Voter: s.voter,
        MatchIndex: s.matchIndex,
        LastContactMs: s.lastContactMs,
        Healthy: s.healthy,
      })),
      Members: ctx.backend.gossipMembers().map((m) => ({
        Name: m.name,
        Addr: `${m.addr.includes(':') ? `[${m.addr}]` : m.addr}:${m.port}`,
        Status: m.status,
        Tags: m.tags,
        CpuFreeMilli: m.cpuFreeMilli,
        MemFreeBytes: m.memFreeBytes,
      })),
    };
  });
}
