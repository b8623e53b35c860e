// Turns one key's operations into the search problem: each operation's model op, whether the
// search must include it, and its call/return points.
import { isReadOnly, type RegisterOp, type RegisterState } from './model.ts';
import type { Operation } from './operations.ts';
import { withoutUnnoticedEffects, withUnobservedValuesMerged } from './reduce.ts';

export interface SearchOp {
  readonly source: Operation;
  readonly op: RegisterOp;
  /** The outcome is unknown: the search may place it anywhere after its call, or leave it out. */
  readonly optional: boolean;
  readonly call: number;
  /** Infinity for optional operations. */
  readonly ret: number;
}

/**
 * A weaker version of the history, used to shrink a failing one. Every view admits at least the
 * linearizations of the full history, so a view that fails proves the full history fails too.
 */
export interface View {
  /**
   * Start the view at this position, from any initial state: operations completed before it
   * are dropped, and operations called before it are weakened. Sound because in a
   * linearization of the whole history, the dropped operations all come before every
   * operation called after this point, so the view can start from the state after the last
   * of them; the weakened operations that came earlier can then be left out.
   */
  readonly from?: number;
  /** Ignore events after this position: later invokes are dropped, later completions unknown. */
  readonly cut?: number;
  /** Read-only operations here are dropped, and the others become optional. */
  readonly weakened?: ReadonlySet<Operation>;
}

type Outcome = 'ok' | 'fail' | 'unknown';

function outcomeOf(source: Operation, cut: number): Outcome {
  const { completion, returnIndex } = source;
  if (completion === undefined || returnIndex === undefined || returnIndex > cut) return 'unknown';
  return completion.type === 'ok' || completion.type === 'fail' ? completion.type : 'unknown';
}

function notValidated(source: Operation): never {
  throw new Error(`${source.f} on ${JSON.stringify(source.key)} has a malformed value`);
}

function readResult(source: Operation): RegisterState {
  const value = source.completion?.value ?? null;
  return typeof value === 'string' || value === null ? value : notValidated(source);
}

function written(source: Operation): RegisterState {
  if (source.f === 'delete') return null;
  const value = source.invoke.value;
  return typeof value === 'string' ? value : notValidated(source);
}

/**
 * The model op for an operation with the given outcome, or undefined when the operation cannot
 * constrain the search: a read that failed or timed out observed nothing, and a write or delete
 * that failed did not happen.
 */
function modelOp(source: Operation, outcome: Outcome): Omit<SearchOp, 'call' | 'ret'> | undefined {
  const optional = outcome === 'unknown';
  switch (source.f) {
    case 'read':
      return outcome === 'ok'
        ? { source, op: { kind: 'read', value: readResult(source) }, optional }
        : undefined;
    case 'write':
    case 'delete':
      return outcome === 'fail'
        ? undefined
        : { source, op: { kind: 'write', value: written(source) }, optional };
    case 'cas': {
      const value = source.invoke.value;
      if (!Array.isArray(value)) return notValidated(source);
      const [expected, next] = value;
      const op: RegisterOp =
        outcome === 'fail' ? { kind: 'casFail', expected } : { kind: 'cas', expected, next };
      return { source, op, optional };
    }
  }
}

/** Whether the operation certainly finished (ok or fail) before `from`. */
function doneBefore(source: Operation, from: number): boolean {
  const type = source.completion?.type;
  return (type === 'ok' || type === 'fail') && (source.returnIndex ?? Infinity) < from;
}

function toSearchOp(source: Operation, view: View): SearchOp | undefined {
  const cut = view.cut ?? Infinity;
  const from = view.from ?? 0;
  if (source.callIndex > cut || doneBefore(source, from)) return undefined;
  const base = modelOp(source, outcomeOf(source, cut));
  if (base === undefined) return undefined;
  const weakened = source.callIndex < from || view.weakened?.has(source) === true;
  if (weakened && isReadOnly(base.op)) return undefined;
  const optional = base.optional || weakened;
  const ret = optional ? Infinity : (source.returnIndex ?? Infinity);
  return { ...base, optional, call: source.callIndex, ret };
}

/** One key's search problem, in call order. */
export function buildProblem(ops: readonly Operation[], view: View = {}): SearchOp[] {
  const searchOps: SearchOp[] = [];
  for (const source of ops) {
    const s = toSearchOp(source, view);
    if (s !== undefined) searchOps.push(s);
  }
  return withUnobservedValuesMerged(withoutUnnoticedEffects(searchOps));
}
