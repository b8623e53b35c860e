// The agent's metrics: cumulative transport counters (Raft TCP and gossip UDP/TCP, including the
// bad frames and packets that were dropped) and current Raft and membership gauges, under
// dotted names. GET /v1/agent/metrics shapes them the way Consul does.
import type { AgentMetrics, GossipMemberInfo } from '../api/backend.ts';
import type { TransportStats as GossipTransportStats } from '../gossip/net/index.ts';
import type { RaftStatus } from '../raft/index.ts';
import type { TransportStats as RaftTransportStats } from '../transport/index.ts';

export interface MetricSources {
  readonly raft: RaftStatus;
  readonly appliedIndex: number;
  readonly raftTransport: RaftTransportStats | null;
  readonly gossip: GossipTransportStats | null;
  readonly members: readonly GossipMemberInfo[];
}

/** camelCase counter names to Consul-style snake_case metric names. */
function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The numeric fields of a stats object (counters are plain numbers). */
function numericFields(o: object): [string, number][] {
  const out: [string, number][] = [];
  for (const [k, v] of Object.entries(o) as [string, unknown][]) {
    if (typeof v === 'number') out.push([k, v]);
  }
  return out;
}

export function collectMetrics(s: MetricSources): AgentMetrics {
  const counters: Record<string, number> = {};
  const gauges: Record<string, number> = {};
  if (s.raftTransport !== null) {
    const { peers, inboundConnections, ...rest } = s.raftTransport;
    for (const [k, v] of numericFields(rest)) counters[`sappers.raft.transport.${snake(k)}`] = v;
    gauges['sappers.raft.transport.inbound_connections'] = inboundConnections;
    gauges['sappers.raft.transport.connected_peers'] = Object.values(peers).filter(
      (p) => p.connected,
    ).length;
  }
  if (s.gossip !== null) {
    for (const [k, v] of numericFields(s.gossip)) counters[`sappers.gossip.${snake(k)}`] = v;
  }
  const r = s.raft;
  gauges['sappers.raft.term'] = r.term;
  gauges['sappers.raft.commit_index'] = r.commit;
  gauges['sappers.raft.last_index'] = r.lastIndex;
  gauges['sappers.raft.applied_index'] = s.appliedIndex;
  gauges['sappers.raft.snapshot_index'] = r.snapshotIndex;
  gauges['sappers.raft.is_leader'] = r.role === 'leader' ? 1 : 0;
  gauges['sappers.raft.voters'] = r.config.voters.length;
  gauges['sappers.raft.learners'] = r.config.learners.length;
  const count = (st: GossipMemberInfo['status']): number =>
    s.members.filter((m) => m.status === st).length;
  gauges['sappers.gossip.members.alive'] = count('alive');
  gauges['sappers.gossip.members.suspect'] = count('suspect');
  gauges['sappers.gossip.members.failed'] = count('failed');
  gauges['sappers.gossip.members.left'] = count('left');
  return { counters, gauges };
}
