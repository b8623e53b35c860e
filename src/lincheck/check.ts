// The checker's entry point: validate, split by key (keys are independent registers), search
// each key, and turn a failure into a small explained window.
import { explainUnexplained, explainWindow } from './explain.ts';
import { validateHistory, type HistoryEvent, type HistoryEventInput } from './history.ts';
import { eventsOf, groupByKey, pairOperations, type Operation } from './operations.ts';
import { buildProblem, type SearchOp } from './problem.ts';
import { search } from './search.ts';
import { findUnexplainedObservation } from './unexplained.ts';
import { findWindow, findWindowNear, type FailingWindow } from './window.ts';

export type CheckResult =
  | { ok: true }
  | {
      ok: false;
      key: string;
      /** The events of a small set of operations on `key` that cannot be ordered. */
      window: HistoryEvent[];
      explanation: string;
    }
  | { ok: 'unknown'; key: string; reason: string };

export interface CheckOptions {
  /**
   * How many distinct search configurations to explore for any one key before answering
   * "unknown". Shrinking a failure to a small window (or, after running out, looking for a
   * violation near where the search got stuck) gets the same budget again, in total.
   */
  readonly maxStates?: number;
}

export const DEFAULT_MAX_STATES = 1_000_000;

/** Greedy shrinking is one check per try; this keeps failure reports prompt. */
const MAX_GREEDY_CHECKS = 100;

function violation(key: string, window: FailingWindow): CheckResult {
  const events = eventsOf(window.ops.map((s) => s.source));
  return { ok: false, key, window: events, explanation: explainWindow(key, window) };
}

function unexplained(key: string, ops: readonly Operation[], observer: SearchOp): CheckResult {
  const explanation = explainUnexplained(key, observer, ops);
  return { ok: false, key, window: eventsOf([observer.source]), explanation };
}

function unknown(key: string, ops: readonly Operation[], maxStates: number): CheckResult {
  const uncertain = ops.filter(
    (op) => op.completion === undefined || op.completion.type === 'info',
  );
  return {
    ok: 'unknown',
    key,
    reason:
      `search budget exceeded: explored more than ${maxStates} states for key ${JSON.stringify(key)} ` +
      `(${ops.length} operations, ${uncertain.length} with unknown outcome) without a verdict; ` +
      'raise maxStates to search further',
  };
}

/**
 * Checks that a history of a key-value store is linearizable. Every key starts absent.
 * A definite failure on any key wins over "unknown" on another.
 * @throws HistoryError if the events do not form a valid history.
 */
export function checkHistory(
  events: readonly HistoryEventInput[],
  options: CheckOptions = {},
): CheckResult {
  const maxStates = options.maxStates ?? DEFAULT_MAX_STATES;
  if (!Number.isSafeInteger(maxStates) || maxStates < 1) {
    throw new RangeError(`maxStates must be a positive integer, got ${maxStates}`);
  }
  const groups = groupByKey(pairOperations(validateHistory(events)));
  let undecided: CheckResult | undefined;
  for (const [key, ops] of groups) {
    const problem = buildProblem(ops);
    const observer = findUnexplainedObservation(problem);
    if (observer !== undefined) return unexplained(key, ops, observer);
    const outcome = search(problem, maxStates);
    const budget = { maxStates, maxGreedyChecks: MAX_GREEDY_CHECKS };
    if (outcome.kind === 'fail') return violation(key, findWindow(ops, outcome, budget));
    if (outcome.kind === 'unknown') {
      // A failing window near where the search got stuck still proves a violation.
      const window = findWindowNear(ops, outcome.blocker, budget);
      if (window !== undefined) return violation(key, window);
      undecided ??= unknown(key, ops, maxStates);
    }
  }
  return undecided ?? { ok: true };
}
