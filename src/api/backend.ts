// What the HTTP API needs from the node it runs on. The agent implements it over its Raft
// driver, state and transport; tests implement it over in-process nodes.
import type { RaftStatus } from '../raft/index.ts';
import type { ApplyResult, Command, IndexWatch, ManagementState } from '../state/index.ts';

export interface PeerInfo {
  readonly id: string;
  /** host:port of the peer's Raft transport. */
  readonly raftAddr: string;
  readonly voter: boolean;
}

export interface SnapshotInfo {
  readonly index: number;
  readonly term: number;
  readonly path: string;
}

/** One gossip member as /v1/agent/members shows it. */
export interface GossipMemberInfo {
  readonly name: string;
  /** IP the member advertises for gossip, and its gossip port. */
  readonly addr: string;
  readonly port: number;
  /** memberlist's view; suspect still counts as alive (Consul's serf does the same). */
  readonly status: 'alive' | 'suspect' | 'failed' | 'left';
  /** Consul-style string tags (role, id, raft_addr, http_addr, tags, cluster_id...); {} for peers without Sappers metadata. */
  readonly tags: Readonly<Record<string, string>>;
  readonly cpuFreeMilli: number | null;
  readonly memFreeBytes: number | null;
}

/** One member of the Raft configuration, as this node sees it. */
export interface ServerInfo {
  readonly id: string;
  readonly address: string;
  readonly voter: boolean;
  /** Known on the leader only (null elsewhere, except for this node itself). */
  readonly matchIndex: number | null;
  /** Milliseconds since this node last heard from it over Raft (null: never). */
  readonly lastContactMs: number | null;
  readonly healthy: boolean;
}

export interface ClusterInfo {
  readonly clusterId: string | null;
  readonly leader: string | null;
  readonly term: number;
  readonly commitIndex: number;
  readonly servers: readonly ServerInfo[];
}

/**
 * Counters (cumulative since start) and gauges (current values) of this agent, keyed by
 * dotted names such as `sappers.gossip.bad_packets`.
 */
export interface AgentMetrics {
  readonly counters: Readonly<Record<string, number>>;
  readonly gauges: Readonly<Record<string, number>>;
}

export interface ApiBackend {
  readonly nodeId: string;
  /** The local replica of the management database (read-only for the API). */
  readonly state: ManagementState;
  /** Woken whenever the local replica applies an entry. */
  readonly watch: IndexWatch;
  /**
   * Replicate a command and resolve with its result once applied here. On a follower the
   * backend forwards it to the leader. Rejects with a RaftError NOT_LEADER (leader null) when
   * there is no leader, PROPOSAL_DROPPED when the outcome is unknown (timeout).
   */
  propose(command: Command, timeoutMs: number): Promise<ApplyResult>;
  /** Resolves once the local replica reflects every write committed before the call. */
  readBarrier(timeoutMs: number): Promise<void>;
  raftStatus(): RaftStatus;
  /** Raft addresses of the current configuration, with the leader's, when known. */
  peers(): readonly PeerInfo[];
  leaderRaftAddr(): string | null;
  /** Milliseconds since this node last heard from the leader (0 on the leader). */
  lastContactMs(): number;
  /** Add a node as a voter (forwarded to the leader). */
  join(id: string, raftAddr: string, timeoutMs: number): Promise<void>;
  /** Remove a node from the Raft configuration (forwarded to the leader). */
  removePeer(id: string, timeoutMs: number): Promise<void>;
  triggerSnapshot(): Promise<SnapshotInfo>;
  /** Every member gossip knows of (this node included), alive or not, until reaped. */
  gossipMembers(): readonly GossipMemberInfo[];
  /** The cluster as this node sees it (local view; no leader round trip). */
  clusterInfo(): ClusterInfo;
  /** Transport counters and Raft gauges of this agent. */
  metrics(): AgentMetrics;
}
