// The Wing-Gong-Lowe search for one key: repeatedly pick an operation that may come next in
// real time, apply it to the model, and backtrack on a dead end. Configurations already seen are
// cut (see memo.ts), which keeps typical histories near linear time.
import { optionalChoices, requiredChoices, type ChoiceContext } from './choices.ts';
import { ILLEGAL, INITIAL_STATE, step, type RegisterState } from './model.ts';
import { Memo } from './memo.ts';
import { OptionalClasses } from './symmetry.ts';
import type { SearchOp } from './problem.ts';
import { OptionalPool, Timeline, type Frontier } from './timeline.ts';

export type SearchOutcome =
  | { readonly kind: 'ok'; readonly states: number }
  | ({ readonly kind: 'fail'; readonly states: number } & Progress)
  | ({ readonly kind: 'unknown'; readonly states: number } & Progress);

export interface Progress {
  /** The most required operations linearized at once. */
  readonly progress: number;
  /** At that point, the earliest-returning operation that could not be placed. */
  readonly blocker: SearchOp | undefined;
}

interface Frame {
  /** The operation this frame linearized; -1 for the root. */
  readonly op: number;
  readonly before: RegisterState;
  readonly candidates: number[];
  next: number;
  /** Set until the optional candidates have been appended (after the required ones failed). */
  frontier: Frontier | undefined;
}

function at<T>(xs: readonly T[], i: number): T {
  const x = xs[i];
  if (x === undefined) throw new RangeError(`no operation ${i}`);
  return x;
}

class Search {
  private readonly ops: readonly SearchOp[];
  private readonly timeline: Timeline;
  private readonly pool: OptionalPool;
  private readonly memo: Memo;
  private readonly requiredTotal: number;
  private readonly classes: OptionalClasses;
  private readonly optionalCasExpected: ReadonlySet<RegisterState>;
  private requiredLeft: number;
  private state: RegisterState;
  private progress = -1;
  private blocker: SearchOp | undefined;

  constructor(ops: readonly SearchOp[], initial: RegisterState) {
    this.ops = ops;
    this.state = initial;
    this.timeline = new Timeline(ops);
    this.memo = new Memo(ops.map((s) => s.optional));
    this.requiredTotal = ops.filter((s) => !s.optional).length;
    this.requiredLeft = this.requiredTotal;
    this.classes = new OptionalClasses(ops);
    this.optionalCasExpected = new Set(
      ops.flatMap((s) => (s.optional && s.op.kind === 'cas' ? [s.op.expected] : [])),
    );
    this.pool = new OptionalPool(
      ops,
      ops.map((_, i) => this.classes.identity(i)),
    );
  }

  run(maxStates: number): SearchOutcome {
    if (this.requiredLeft === 0) return { kind: 'ok', states: 0 };
    const frames: Frame[] = [this.frame(-1, this.state)];
    for (let top = frames.at(-1); top !== undefined; top = frames.at(-1)) {
      if (top.next === top.candidates.length) this.addOptional(top);
      const op = top.candidates[top.next++];
      if (op === undefined) {
        frames.pop();
        this.undo(top);
        continue;
      }
      const before = this.state;
      const after = step(before, at(this.ops, op).op);
      if (after === ILLEGAL || !this.enter(op, after)) continue;
      if (this.requiredLeft === 0) return { kind: 'ok', states: this.memo.size };
      if (this.memo.size > maxStates) return this.stopped('unknown');
      frames.push(this.frame(op, before));
    }
    return this.stopped('fail');
  }

  private stopped(kind: 'fail' | 'unknown'): SearchOutcome {
    const progress: Progress = { progress: this.progress, blocker: this.blocker };
    return kind === 'fail'
      ? { kind, states: this.memo.size, ...progress }
      : { kind, states: this.memo.size, ...progress };
  }

  /** Linearizes `op` leading to `after`, unless that configuration was already explored. */
  private enter(op: number, after: RegisterState): boolean {
    this.memo.mark(op);
    // Whether the next step is restricted to observers is part of the configuration.
    if (!this.memo.visit(after, this.lastWasOptional(op))) {
      this.memo.unmark(op);
      return false;
    }
    if (at(this.ops, op).optional) this.pool.take(op);
    else {
      this.timeline.remove(op);
      this.requiredLeft--;
    }
    this.classes.take(op);
    this.state = after;
    return true;
  }

  private undo(frame: Frame): void {
    if (frame.op < 0) return;
    this.memo.unmark(frame.op);
    if (at(this.ops, frame.op).optional) this.pool.giveBack(frame.op);
    else {
      this.timeline.restore(frame.op);
      this.requiredLeft++;
    }
    this.classes.giveBack(frame.op);
    this.state = frame.before;
  }

  /** The frame after linearizing `op` (-1 for the root), which held `before` before. */
  private frame(op: number, before: RegisterState): Frame {
    const frontier = this.timeline.frontier();
    this.noteProgress(frontier.blocker);
    const { choices, forced } = requiredChoices(frontier.candidates, this.context(op));
    return { op, before, candidates: choices, next: 0, frontier: forced ? undefined : frontier };
  }

  /** Called once the frame's required choices are exhausted, so its configuration is current. */
  private addOptional(frame: Frame): void {
    if (frame.frontier === undefined) return;
    const available = this.pool.available(frame.frontier.bound);
    const optional = optionalChoices(frame.frontier.candidates, available, this.context(frame.op));
    frame.candidates.push(...optional);
    frame.frontier = undefined;
  }

  private context(op: number): ChoiceContext {
    return {
      ops: this.ops,
      state: this.state,
      afterOptional: this.lastWasOptional(op),
      classes: this.classes,
      optionalCasExpected: this.optionalCasExpected,
    };
  }

  private lastWasOptional(op: number): boolean {
    return op >= 0 && at(this.ops, op).optional;
  }

  private noteProgress(blocker: number | undefined): void {
    const done = this.requiredTotal - this.requiredLeft;
    if (done <= this.progress) return;
    this.progress = done;
    this.blocker = blocker === undefined ? undefined : at(this.ops, blocker);
  }
}

/**
 * Searches for a linearization of one key's operations, giving up ("unknown") once more than
 * `maxStates` distinct configurations have been explored.
 */
export function search(
  ops: readonly SearchOp[],
  maxStates: number,
  initial: RegisterState = INITIAL_STATE,
): SearchOutcome {
  return new Search(ops, initial).run(maxStates);
}
