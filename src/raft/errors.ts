// Expected conditions of the core are named errors with a stable `code`; callers branch on it.
import type { NodeId } from './types.ts';

export type RaftErrorCode =
  | 'NOT_LEADER'
  | 'TRANSFER_IN_PROGRESS'
  | 'PROPOSAL_DROPPED'
  | 'CONF_CHANGE_PENDING'
  | 'INVALID_CONF_CHANGE'
  | 'INVALID_TRANSFER'
  | 'SNAPSHOT_OUT_OF_RANGE'
  | 'COMPACTED';

export class RaftError extends Error {
  readonly code: RaftErrorCode;
  /** The known leader, for NOT_LEADER: the driver forwards the request there. */
  readonly leader: NodeId | null;

  constructor(code: RaftErrorCode, message: string, leader: NodeId | null = null) {
    super(message);
    this.name = 'RaftError';
    this.code = code;
    this.leader = leader;
  }
}

/** A broken invariant: the core must not limp on. */
export class RaftInvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RaftInvariantError';
  }
}

export function invariant(condition: boolean, message: string): asserts condition {
  if (!condition) throw new RaftInvariantError(message);
}
