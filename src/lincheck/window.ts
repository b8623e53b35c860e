// Shrinks a failing key's history to a small set of operations that still cannot be ordered.
// Only weakenings are applied (see problem.ts View): starting late from any state, cutting the
// history short, dropping read-only operations and making others optional. A weakened history
// that still fails proves the original fails, so the window never blames operations for a
// failure they did not cause. The bisections below assume that a larger view fails whenever a
// smaller one does, which is only mostly true; they are a heuristic for small windows, and
// soundness never depends on them because every view kept was seen to fail.
import { INITIAL_STATE, observedValue, type RegisterState } from './model.ts';
import type { Operation } from './operations.ts';
import { buildProblem, type SearchOp, type View } from './problem.ts';
import { search, type SearchOutcome } from './search.ts';

type Failure = Extract<SearchOutcome, { kind: 'fail' }>;

export interface FailingWindow {
  /** The operations of the smallest failing view found, in call order. */
  readonly ops: readonly SearchOp[];
  readonly failure: Failure;
  /** True if the window fails from any starting value (earlier operations were left out). */
  readonly anyStart: boolean;
}

export interface ShrinkBudget {
  /**
   * States for all checks together. A check that runs out counts as "does not fail", so the
   * result is always a view that was seen to fail, just less shrunk.
   */
  readonly maxStates: number;
  /** Bounds the greedy one-operation-at-a-time phase. */
  readonly maxGreedyChecks: number;
}

/**
 * The starting values worth trying: null, each value some operation compares the state with,
 * and one value none of them compares with (all such values behave alike).
 */
function startingValues(ops: readonly SearchOp[]): RegisterState[] {
  const values = new Set<RegisterState>([null]);
  for (const s of ops) {
    const seen = observedValue(s.op);
    if (seen !== undefined) values.add(seen);
  }
  let other = 'any other value';
  while (values.has(other)) other += '*';
  return [...values, other];
}

interface Best {
  readonly view: View;
  readonly ops: SearchOp[];
  readonly failure: Failure;
}

/** Each phase probes views; the last view that failed is always the best so far. */
class Shrinker {
  private readonly keyOps: readonly Operation[];
  private readonly budget: ShrinkBudget;
  private best: Best | undefined;
  private statesLeft: number;

  constructor(keyOps: readonly Operation[], budget: ShrinkBudget, best: Best | undefined) {
    this.keyOps = keyOps;
    this.budget = budget;
    this.statesLeft = budget.maxStates;
    this.best = best;
  }

  result(): FailingWindow | undefined {
    if (this.best === undefined) return undefined;
    const { ops, failure, view } = this.best;
    return { ops, failure, anyStart: (view.from ?? 0) > 0 };
  }

  /**
   * Finds where a failing window ends and starts. A violation is usually close to where the
   * search got stuck, so windows ending at the stuck operation's return are tried first,
   * widening leftwards until one fails; the whole history's prefixes are the fallback.
   */
  frame(blocker: SearchOp | undefined, fallback: boolean): void {
    if (this.aroundBlocker(blocker) || !fallback) return;
    const cut = this.shortestPrefix();
    if (Number.isFinite(cut)) this.narrowStart(0, cut + 1, cut);
  }

  /** Then shrinks the window found by `frame` further. */
  shrink(): void {
    if (this.best === undefined) return;
    this.narrowCut(this.best.view);
    this.weakenEach();
  }

  /** Moves the end back as far as the window still fails. */
  private narrowCut(view: View): void {
    const cuts = this.keyOps
      .flatMap((op) => (op.returnIndex === undefined ? [] : [op.returnIndex]))
      .filter((c) => c >= (view.from ?? 0) && c < (view.cut ?? Infinity))
      .sort((a, b) => a - b);
    this.bisect(cuts, (c) => this.fails({ ...view, cut: c }));
  }

  /** Tries to weaken each operation still required, latest first. */
  private weakenEach(): void {
    const required = this.best?.ops.filter((s) => !s.optional).map((s) => s.source) ?? [];
    for (const op of required.reverse().slice(0, this.budget.maxGreedyChecks)) {
      const view = this.best?.view ?? {};
      this.fails({ ...view, weakened: new Set(view.weakened).add(op) });
    }
  }

  private aroundBlocker(blocker: SearchOp | undefined): boolean {
    if (blocker === undefined || !Number.isFinite(blocker.ret)) return false;
    const cut = blocker.ret;
    let passing = cut + 1;
    for (let width = Math.max(1, cut - blocker.call); ; width *= 2) {
      const from = Math.max(0, cut - width);
      if (this.fails(from === 0 ? { cut } : { from, cut })) {
        this.narrowStart(from, passing, cut);
        return true;
      }
      if (from === 0) return false;
      passing = from;
    }
  }

  /** The position of the shortest failing prefix (failure persists as history grows). */
  private shortestPrefix(): number {
    const cuts = this.keyOps.flatMap((op) =>
      op.returnIndex === undefined ? [] : [op.returnIndex],
    );
    cuts.sort((a, b) => a - b);
    const found = this.bisect(cuts, (c) => this.fails({ cut: c }));
    return found ?? Infinity;
  }

  /** The latest start in [failing, passing) whose window still fails. */
  private narrowStart(failing: number, passing: number, cut: number): void {
    let lo = failing;
    let hi = passing;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.fails({ from: mid, cut })) lo = mid;
      else hi = mid;
    }
  }

  /** The first of `sorted` for which `test` holds, assuming it holds from some point on. */
  private bisect(sorted: readonly number[], test: (x: number) => boolean): number | undefined {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (test(sorted[mid] ?? Infinity)) hi = mid;
      else lo = mid + 1;
    }
    return sorted[lo];
  }

  /** True (and remembered as the best so far) if the view still fails from every start. */
  private fails(view: View): boolean {
    const ops = buildProblem(this.keyOps, view);
    const starts = (view.from ?? 0) > 0 ? startingValues(ops) : [INITIAL_STATE];
    let failure: Failure | undefined;
    for (const start of starts) {
      if (this.statesLeft <= 0) return false;
      const outcome = search(ops, this.statesLeft, start);
      this.statesLeft -= Math.max(outcome.states, 1);
      if (outcome.kind !== 'fail') return false;
      if (failure === undefined || outcome.progress > failure.progress) failure = outcome;
    }
    if (failure === undefined) return false;
    this.best = { view, ops, failure };
    return true;
  }
}

/** Shrinks a key whose full history failed with `failure`. */
export function findWindow(
  keyOps: readonly Operation[],
  failure: Failure,
  budget: ShrinkBudget,
): FailingWindow {
  const full: Best = { view: {}, ops: buildProblem(keyOps), failure };
  const shrinker = new Shrinker(keyOps, budget, full);
  shrinker.frame(failure.blocker, true);
  shrinker.shrink();
  return shrinker.result() ?? { ops: full.ops, failure, anyStart: false };
}

/**
 * For a key whose search ran out of budget: looks for a failing window near where the search
 * got stuck, which proves a violation on its own. Undefined if none is found within budget.
 */
export function findWindowNear(
  keyOps: readonly Operation[],
  blocker: SearchOp | undefined,
  budget: ShrinkBudget,
): FailingWindow | undefined {
  const shrinker = new Shrinker(keyOps, budget, undefined);
  shrinker.frame(blocker, false);
  shrinker.shrink();
  return shrinker.result();
}
