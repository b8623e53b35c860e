// The sequential specification of one key: a register that is absent (null) or holds a string.
// Keys are independent, so the checker runs this model once per key.

export type RegisterState = string | null;

/**
 * An operation as the model sees it, after its outcome is known:
 * - a delete is a write of null (absent);
 * - a cas that failed is a read that observed a value different from `expected` (it was
 *   executed, found a mismatch and changed nothing);
 * - a cas whose outcome is unknown is modelled as a successful cas that may be left out, because
 *   a cas that happened but did not swap has no effect, just like one that never happened.
 */
export type RegisterOp =
  | { readonly kind: 'read'; readonly value: RegisterState }
  | { readonly kind: 'write'; readonly value: RegisterState }
  | { readonly kind: 'cas'; readonly expected: string; readonly next: string }
  | { readonly kind: 'casFail'; readonly expected: string };

export const INITIAL_STATE: RegisterState = null;

/** Returned by `step` when an operation's recorded result is impossible in the given state. */
export const ILLEGAL: unique symbol = Symbol('illegal');

/** The state after applying `op`, or ILLEGAL if `op`'s recorded result contradicts `state`. */
export function step(state: RegisterState, op: RegisterOp): RegisterState | typeof ILLEGAL {
  switch (op.kind) {
    case 'read':
      return state === op.value ? state : ILLEGAL;
    case 'write':
      return op.value;
    case 'cas':
      return state === op.expected ? op.next : ILLEGAL;
    case 'casFail':
      return state !== op.expected ? state : ILLEGAL;
  }
}

/** True for operations that cannot change the state. */
export function isReadOnly(op: RegisterOp): boolean {
  return op.kind === 'read' || op.kind === 'casFail';
}

/** The value this operation compares the state with (for equality, or inequality for casFail). */
export function observedValue(op: RegisterOp): RegisterState | undefined {
  switch (op.kind) {
    case 'read':
      return op.value;
    case 'cas':
    case 'casFail':
      return op.expected;
    case 'write':
      return undefined;
  }
}

/** The value this operation stores, for operations that change the state. */
export function writtenValue(op: RegisterOp): RegisterState | undefined {
  switch (op.kind) {
    case 'write':
      return op.value;
    case 'cas':
      return op.next;
    case 'read':
    case 'casFail':
      return undefined;
  }
}
