// Which operations the search tries next, and in which order. Every rule here only skips a
// choice when another choice is known to reach a linearization whenever the skipped one would;
// the comments give the argument.
//
// 1. A read-only operation whose result matches the current state can go first without loss
//    of generality (it may come next and changes nothing), so it is taken alone.
// 2. An optional operation is never directly followed by a write (or delete): if a
//    linearization has that, dropping the optional operation ("it did not happen") gives
//    another valid one, since the write erases its effect before anything sees it. Repeating
//    this yields a linearization without such pairs, so the search only looks for those.
// 3. Hence an optional operation is only worth placing if something other than a write can
//    directly follow it, which by rule 1 means it unblocks a stuck operation.
// 4. Of several interchangeable optional operations only the first is tried (symmetry.ts).
// Required operations are tried before optional ones, which are only computed if needed.
import { ILLEGAL, isReadOnly, step, type RegisterState } from './model.ts';
import type { SearchOp } from './problem.ts';
import type { OptionalClasses } from './symmetry.ts';

export interface ChoiceContext {
  readonly ops: readonly SearchOp[];
  readonly state: RegisterState;
  /** Whether the operation linearized last was optional (rule 2). */
  readonly afterOptional: boolean;
  readonly classes: OptionalClasses;
  /** The expected values of all optional cas operations. */
  readonly optionalCasExpected: ReadonlySet<RegisterState>;
}

function opAt(ops: readonly SearchOp[], i: number): SearchOp {
  const s = ops[i];
  if (s === undefined) throw new RangeError(`no operation ${i}`);
  return s;
}

/** Rule 2: after an optional operation, no write may come next. */
function allowed(c: number, ctx: ChoiceContext): boolean {
  return !ctx.afterOptional || opAt(ctx.ops, c).op.kind !== 'write';
}

/**
 * The required candidates to try. `forced` means rule 1 applied, and no other choice (in
 * particular no optional one) needs to be tried.
 */
export function requiredChoices(
  candidates: readonly number[],
  ctx: ChoiceContext,
): { choices: number[]; forced: boolean } {
  const choices: number[] = [];
  for (const c of candidates) {
    if (!allowed(c, ctx)) continue;
    const { op } = opAt(ctx.ops, c);
    if (isReadOnly(op) && step(ctx.state, op) !== ILLEGAL) return { choices: [c], forced: true };
    choices.push(c);
  }
  return { choices, forced: false };
}

/** The optional candidates to try (rules 2-4), given all required and optional candidates. */
export function optionalChoices(
  required: readonly number[],
  optional: readonly number[],
  ctx: ChoiceContext,
): number[] {
  const canFollow = new Followers(ctx.ops, required, ctx.optionalCasExpected);
  ctx.classes.newRound();
  const choices: number[] = [];
  for (const c of optional) {
    // Members of a class are legal and useful alike, so the first one decides for all.
    if (!allowed(c, ctx) || !ctx.classes.claim(c)) continue;
    const after = step(ctx.state, opAt(ctx.ops, c).op);
    if (after !== ILLEGAL && canFollow.after(after)) choices.push(c);
  }
  return choices;
}

/**
 * Answers whether some non-write could be legal right after reaching a state. Optional cas are
 * counted whether or not they are available: overestimating only costs a dead end.
 */
class Followers {
  private readonly wanted = new Set<RegisterState>();
  private readonly casFailExpected = new Set<RegisterState>();
  private readonly optionalCasExpected: ReadonlySet<RegisterState>;

  constructor(
    ops: readonly SearchOp[],
    required: readonly number[],
    optionalCasExpected: ReadonlySet<RegisterState>,
  ) {
    this.optionalCasExpected = optionalCasExpected;
    for (const c of required) {
      const { op } = opAt(ops, c);
      if (op.kind === 'read') this.wanted.add(op.value);
      else if (op.kind === 'cas') this.wanted.add(op.expected);
      else if (op.kind === 'casFail') this.casFailExpected.add(op.expected);
    }
  }

  after(state: RegisterState): boolean {
    if (this.wanted.has(state) || this.optionalCasExpected.has(state)) return true;
    const { size } = this.casFailExpected;
    return size > 1 || (size === 1 && !this.casFailExpected.has(state));
  }
}
