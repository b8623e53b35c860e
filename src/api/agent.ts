// Consul's /v1/agent endpoints this agent has: the gossip member list and the metrics.
import type { FastifyInstance } from 'fastify';
import type { AgentMetrics, GossipMemberInfo } from './backend.ts';
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

/**
 * GET /v1/agent/metrics in Consul's shape (go-metrics' MetricsSummary). Consul's counters hold
 * the current 10 s interval; ours are cumulative since the agent started (Count = Sum = the
 * total), which is what a scraper that takes differences needs. Points and Samples are empty.
 */
export interface ConsulMetrics {
  readonly Timestamp: string;
  readonly Gauges: readonly { Name: string; Value: number; Labels: Record<string, string> }[];
  readonly Points: readonly never[];
  readonly Counters: readonly {
    Name: string;
    Count: number;
    Rate: number;
    Sum: number;
    Min: number;
    Max: number;
    Mean: number;
    Stddev: number;
    Labels: Record<string, string>;
  }[];
  readonly Samples: readonly never[];
}

export function toConsulMetrics(m: AgentMetrics, now: Date): ConsulMetrics {
  const byName = <T>(o: Readonly<Record<string, T>>): [string, T][] =>
    Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    // go-metrics prints time.Time's default format, truncated to the interval.
    Timestamp: now
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, ' +0000 UTC'),
    Gauges: byName(m.gauges).map(([Name, Value]) => ({ Name, Value, Labels: {} })),
    Points: [],
    Counters: byName(m.counters).map(([Name, total]) => ({
      Name,
      Count: total,
      Rate: 0,
      Sum: total,
      Min: total,
      Max: total,
      Mean: total,
      Stddev: 0,
      Labels: {},
    })),
    Samples: [],
  };
}

export function agentRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/v1/agent/members', (): ConsulMember[] =>
    ctx.backend.gossipMembers().map(toConsulMember),
  );
  app.get('/v1/agent/metrics', (): ConsulMetrics =>
    toConsulMetrics(ctx.backend.metrics(), new Date()),
  );
}
