// Raft RPCs as plain data. `term` is the sender's term; `from`/`to` are node ids.
import type { Entry, NodeId, SnapshotMeta } from './types.ts';

interface Base {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
}

export interface VoteRequest extends Base {
  readonly type: 'vote' | 'preVote';
  readonly lastIndex: number;
  readonly lastTerm: number;
  /** Set by a leadership transfer: voters ignore their leader lease. */
  readonly force: boolean;
}

export interface VoteResponse extends Base {
  readonly type: 'voteResp' | 'preVoteResp';
  readonly granted: boolean;
}

export interface AppendRequest extends Base {
  readonly type: 'app';
  readonly prevIndex: number;
  readonly prevTerm: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
}

export interface AppendResponse extends Base {
  readonly type: 'appResp';
  readonly success: boolean;
  /** On success: the index the follower now matches. On reject: the rejected prevIndex. */
  readonly index: number;
  /** On reject: a hint for the leader's next probe (largest index worth trying). */
  readonly hintIndex: number;
  readonly hintTerm: number;
}

export interface Heartbeat extends Base {
  readonly type: 'heartbeat';
  readonly commit: number;
  /** Highest read-index sequence number the leader is confirming with this round. */
  readonly readSeq: number;
}

export interface HeartbeatResponse extends Base {
  readonly type: 'heartbeatResp';
  readonly readSeq: number;
}

export interface SnapshotChunk extends Base {
  readonly type: 'snap';
  readonly meta: SnapshotMeta;
  readonly offset: number;
  readonly totalBytes: number;
  readonly data: Uint8Array;
  readonly done: boolean;
}

export interface SnapshotResponse extends Base {
  readonly type: 'snapResp';
  readonly snapIndex: number;
  /** Bytes of the snapshot the follower holds so far; it asks for the chunk at this offset. */
  readonly offset: number;
  readonly done: boolean;
}

export interface TimeoutNow extends Base {
  readonly type: 'timeoutNow';
}

export interface ReadIndexRequest extends Base {
  readonly type: 'readIndex';
  readonly context: string;
}

export interface ReadIndexResponse extends Base {
  readonly type: 'readIndexResp';
  readonly context: string;
  /** 0 when the leader could not serve it (the follower reports the read as dropped). */
  readonly index: number;
}

export type Message =
  | VoteRequest
  | VoteResponse
  | AppendRequest
  | AppendResponse
  | Heartbeat
  | HeartbeatResponse
  | SnapshotChunk
  | SnapshotResponse
  | TimeoutNow
  | ReadIndexRequest
  | ReadIndexResponse;

export type MessageType = Message['type'];
