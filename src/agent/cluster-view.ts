// What this agent knows of its peers beyond its Raft configuration: gossip members with their
// metadata (raft addresses of agents not yet in the configuration, liveness) and when each peer
// was last heard over Raft. Feeds the transport's address lookup and the cluster endpoints.
import type { GossipMemberInfo } from '../api/backend.ts';
import type { GossipPeer, GossipService } from '../cluster/gossip-service.ts';
import type { AgentMeta } from '../cluster/meta.ts';
import type { TransportStats as GossipTransportStats } from '../gossip/net/index.ts';

/** Peers whose last Raft contact is remembered at most (ids come from the network). */
const maxHeard = 4_096;

export class ClusterView {
  private readonly selfId: string;
  private gossip: Pick<GossipService, 'members' | 'subscribe' | 'stats'> | null = null;
  private readonly raftAddrs = new Map<string, string>();
  private readonly lastHeard = new Map<string, number>();

  constructor(selfId: string) {
    this.selfId = selfId;
  }

  attachGossip(g: Pick<GossipService, 'members' | 'subscribe' | 'stats'>): void {
    this.gossip = g;
    for (const p of g.members()) this.remember(p);
    g.subscribe((e) => this.remember(e.peer));
  }

  /** Raft address an agent advertises in gossip (for peers not in our configuration yet). */
  raftAddrOf(id: string): string | undefined {
    return this.raftAddrs.get(id);
  }

  heard(id: string): void {
    if (!this.lastHeard.has(id) && this.lastHeard.size >= maxHeard) return;
    this.lastHeard.set(id, Date.now());
  }

  lastContactMs(id: string): number | null {
    if (id === this.selfId) return 0;
    const t = this.lastHeard.get(id);
    return t === undefined ? null : Date.now() - t;
  }

  /** Gossip believes `id` alive (or merely suspect). */
  isAlive(id: string): boolean {
    const m = this.gossip?.members().find((p) => p.name === id);
    return m !== undefined && (m.state === 'alive' || m.state === 'suspect');
  }

  /** The gossip transport's packet and stream counters (null before gossip starts). */
  gossipStats(): GossipTransportStats | null {
    return this.gossip?.stats() ?? null;
  }

  members(): GossipMemberInfo[] {
    return (this.gossip?.members() ?? []).map(toInfo);
  }

  private remember(p: GossipPeer): void {
    if (p.meta !== null && p.name === p.meta.nodeId) this.raftAddrs.set(p.name, p.meta.raftAddr);
  }
}

function toInfo(p: GossipPeer): GossipMemberInfo {
  const m = p.meta;
  return {
    name: p.name,
    addr: p.addr.host,
    port: p.addr.port,
    status: p.state === 'dead' ? 'failed' : p.state,
    tags: m === null ? {} : consulTags(m),
    cpuFreeMilli: m?.cpuFreeMilli ?? null,
    memFreeBytes: m?.memFreeBytes ?? null,
  };
}

/** Consul's members carry a flat string map of tags; ours follow its names where they exist. */
export function consulTags(m: AgentMeta): Record<string, string> {
  const tags: Record<string, string> = {
    role: 'sappers',
    id: m.nodeId,
    raft_addr: m.raftAddr,
    http_addr: m.httpAddr,
    tags: m.tags.join(','),
    cpu_free_milli: String(m.cpuFreeMilli),
    mem_free_bytes: String(m.memFreeBytes),
  };
  if (m.clusterId !== null) tags['cluster_id'] = m.clusterId;
  if (m.bootstrapExpect > 0) tags['expect'] = String(m.bootstrapExpect);
  return tags;
}
