// A cheap check run before the search: an operation that observed a value nothing could have
// stored by then is a violation on its own. The search would find it too, but only after
// exhausting every ordering of what came before, which on a long history can exceed the budget.
import type { SearchOp } from './problem.ts';
import { writtenValue } from './model.ts';

/** The value a required operation saw as the current state, if it saw one exactly. */
function sawValue(s: SearchOp): string | undefined {
  if (s.optional) return undefined;
  if (s.op.kind === 'read' && s.op.value !== null) return s.op.value;
  if (s.op.kind === 'cas') return s.op.expected;
  return undefined;
}

/**
 * The first required read or successful cas that observed a string which no operation in the
 * problem (a write or cas, required or optional) stores with a call before the observer
 * returned. Such an observation has no explanation in any order, so the operation alone is a
 * non-linearizable window. (Nulls are never unexplained: every key starts absent.)
 */
export function findUnexplainedObservation(ops: readonly SearchOp[]): SearchOp | undefined {
  const firstCall = new Map<string, number>();
  for (const s of ops) {
    const stored = writtenValue(s.op);
    if (typeof stored === 'string' && !firstCall.has(stored)) firstCall.set(stored, s.call);
  }
  return ops.find((s) => {
    const seen = sawValue(s);
    return seen !== undefined && !((firstCall.get(seen) ?? Infinity) < s.ret);
  });
}
