// Public API of the linearizability checker for the key-value store's client histories.
//
// Semantics of a history (the contract; see history.ts for the format):
// - Each key is an independent register that starts absent (null).
// - Real-time order is the order of events in the history; `time` must not decrease.
// - ok: the operation took effect once, between its invoke and its completion.
// - fail on read, write or delete: it did not take effect and is ignored.
// - fail on cas: it was executed and did not swap, i.e. it read a value different from its
//   expected one at some point between invoke and completion (and changed nothing).
// - info, or no completion by the end: the outcome is unknown. The operation may have taken
//   effect once at any point after its invoke (even after the info event), or never. A read
//   with unknown outcome constrains nothing and is ignored.
export {
  HistoryError,
  parseHistory,
  validateHistory,
  type EventType,
  type HistoryEvent,
  type HistoryEventInput,
  type OpName,
} from './history.ts';
export { checkHistory, DEFAULT_MAX_STATES, type CheckOptions, type CheckResult } from './check.ts';
export { formatOperation, formatResult, formatWindow } from './format.ts';
