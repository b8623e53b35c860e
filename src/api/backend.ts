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
}
