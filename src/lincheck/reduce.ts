// Rewrites of a key's search problem that never change the verdict but shrink the search.
// Both rest on one fact: a stored value that no operation compares the state with can never be
// seen, except by failed cas, which only need the state to differ from their expected value.
import { observedValue, writtenValue, type RegisterState } from './model.ts';
import type { SearchOp } from './problem.ts';

/** The values some operation compares the state with. */
function observedValues(ops: readonly SearchOp[]): Set<RegisterState> {
  const observed = new Set<RegisterState>();
  for (const s of ops) {
    const seen = observedValue(s.op);
    if (seen !== undefined) observed.add(seen);
  }
  return observed;
}

/**
 * Drops optional operations whose effect can never be noticed, which would otherwise multiply
 * the search (each may be placed at any later point). Sound because: say optional X stores v and
 * no operation compares the state with v. In a linearization that includes X, the state is v
 * from X to the next write, so no read or cas can sit in that stretch (they would need to see v)
 * except failed cas. Leaving X out ("did not happen" is allowed) changes the state there back to
 * its previous value, which nothing in that stretch notices unless it holds a failed cas, which
 * might now see its expected value. So X is kept whenever some failed cas could come after it
 * (one that returned after X's call).
 */
export function withoutUnnoticedEffects(ops: readonly SearchOp[]): SearchOp[] {
  let lastCasFailReturn = -Infinity;
  for (const s of ops) {
    if (s.op.kind === 'casFail') lastCasFailReturn = Math.max(lastCasFailReturn, s.ret);
  }
  const noticed = (s: SearchOp, observed: ReadonlySet<RegisterState>): boolean => {
    const stored = writtenValue(s.op);
    return (
      !s.optional || stored === undefined || observed.has(stored) || lastCasFailReturn > s.call
    );
  };
  // Dropping an optional cas can leave the value it expected unobserved: repeat until stable.
  let kept = [...ops];
  for (;;) {
    const observed = observedValues(kept);
    const next = kept.filter((s) => noticed(s, observed));
    if (next.length === kept.length) return kept;
    kept = next;
  }
}

/**
 * Renames every stored string that no operation compares the state with to one shared string.
 * Such values are indistinguishable to every operation, so no verdict changes; but operations
 * storing them become identical, which lets the search treat optional ones as interchangeable
 * and merge configurations that differ only in which of those values is current.
 */
export function withUnobservedValuesMerged(ops: readonly SearchOp[]): SearchOp[] {
  const observed = observedValues(ops);
  let shared: string | undefined;
  return ops.map((s) => {
    const { op } = s;
    if (op.kind === 'write' && op.value !== null && !observed.has(op.value)) {
      shared ??= op.value;
      return { ...s, op: { kind: 'write', value: shared } };
    }
    if (op.kind === 'cas' && !observed.has(op.next)) {
      shared ??= op.next;
      return { ...s, op: { ...op, next: shared } };
    }
    return s;
  });
}
