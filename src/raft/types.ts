// Public data types of the Raft core. Everything here is plain data, so it can be encoded with
// msgpack on the wire and on disk without custom hooks.

/** Node identifiers are the operator-chosen `--node-id` strings. */
export type NodeId = string;

/** Membership: voters count for elections and commit; learners only replicate. */
export interface Config {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  /**
   * Transport addresses of members, replicated with the configuration itself (as hashicorp/raft
   * does), so every node can reach every other after any leader change. Opaque to the core.
   */
  readonly addresses?: Readonly<Record<NodeId, string>>;
}

/** One membership change. Only one may be pending (uncommitted) at a time. */
export type ConfChange =
  | { readonly type: 'addVoter'; readonly node: NodeId; readonly address?: string }
  | { readonly type: 'addLearner'; readonly node: NodeId; readonly address?: string }
  | { readonly type: 'promote'; readonly node: NodeId }
  | { readonly type: 'remove'; readonly node: NodeId };

export type Entry =
  | {
      readonly type: 'normal';
      readonly term: number;
      readonly index: number;
      /** Empty for the no-op a new leader appends. */
      readonly data: Uint8Array;
    }
  | {
      readonly type: 'conf';
      readonly term: number;
      readonly index: number;
      readonly change: ConfChange;
      /** The whole configuration that takes effect when this entry is appended. */
      readonly config: Config;
    };

/** What must be on disk before messages that depend on it are sent. */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId | null;
  readonly commit: number;
}

export interface SnapshotMeta {
  readonly index: number;
  readonly term: number;
  readonly config: Config;
}

export interface Snapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

export interface SoftState {
  readonly leader: NodeId | null;
  readonly role: Role;
}

/** A linearizable read may be served once the state machine has applied `index`. */
export interface ReadState {
  readonly index: number;
  readonly context: string;
}

/** Durable state a core restarts from (what earlier Ready values asked to persist). */
export interface InitialState {
  readonly hardState: HardState;
  readonly snapshot: Snapshot | null;
  /** Entries after the snapshot, contiguous, in index order. */
  readonly entries: readonly Entry[];
  /** Configuration to use when there is no snapshot and no conf entry (a brand new cluster). */
  readonly bootstrapConfig?: Config;
}
