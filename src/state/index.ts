// Public surface of the management database.
export { ManagementState } from './fsm.ts';
export type { ApplyResult, ManagementStateOptions } from './fsm.ts';
export { parseApplyResult } from './apply-result.ts';
export { applyTxn, isReadOnly, readTxn, TXN_RESULT_VALUE_BYTES_MAX } from './kv-txn.ts';
export type { TxnError, TxnKv, TxnOutcome } from './kv-txn.ts';
export { KvTable } from './kv-table.ts';
export type { KvEntry } from './kv-table.ts';
export { MembersTable, sameMemberFields } from './members-table.ts';
export type { MemberRow } from './members-table.ts';
export {
  encodeCommand,
  decodeCommand,
  validateCommand,
  CommandError,
  MEMBER_STATUSES,
  MEMBER_TAGS_MAX,
  MEMBER_TEXT_BYTES_MAX,
  TXN_OPS_MAX,
  TXN_READ_VERBS,
  TXN_VERBS,
} from './commands.ts';
export type {
  Command,
  CommandType,
  MemberFields,
  MemberStatus,
  TxnOp,
  TxnVerb,
} from './commands.ts';
export { EventLog, hashEvent, GENESIS_HASH, DEFAULT_EVENTS_RETAINED_MAX } from './event-log.ts';
export type { ChainBase, ChainEvent, EventData, EventType, VerifyResult } from './event-log.ts';
export { canonicalJson, canonicalBytes, CanonicalError } from './canonical.ts';
export type { CanonicalValue } from './canonical.ts';
export { SNAPSHOT_VERSION, SnapshotFormatError, encodeSnapshotSliced } from './snapshot-body.ts';
export type { SliceOptions, SnapshotView } from './snapshot-body.ts';
export { IndexWatch } from './watch.ts';
