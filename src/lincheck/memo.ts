// Remembers the search configurations already explored: which operations are linearized, plus
// the model state. Two paths reaching the same configuration have the same future, so the
// second one can be cut. Keys are exact (no hashing), so a cut is never wrong.
import { Bitset } from './bitset.ts';
import type { RegisterState } from './model.ts';

/** Chunked, because spreading a huge array into a call overflows the stack. */
function fromCodes(codes: readonly number[]): string {
  const chunk = 8192;
  let s = '';
  for (let i = 0; i < codes.length; i += chunk) {
    s += String.fromCharCode(...codes.slice(i, i + chunk));
  }
  return s;
}

export class Memo {
  /**
   * Optional operations get their own set: many are never linearized, and those gaps would
   * otherwise break the compact encoding of the (much larger) set of required operations.
   */
  private readonly required: Bitset;
  private readonly optional: Bitset;
  /** Per operation: its bit in `required` (>= 0), or in `optional` (stored as -1 - bit). */
  private readonly slot: readonly number[];
  private readonly seen = new Set<string>();
  private readonly stateIds = new Map<RegisterState, number>();

  constructor(isOptional: readonly boolean[]) {
    let required = 0;
    let optional = 0;
    this.slot = isOptional.map((o) => (o ? -1 - optional++ : required++));
    this.required = new Bitset(required);
    this.optional = new Bitset(optional);
  }

  get size(): number {
    return this.seen.size;
  }

  mark(op: number): void {
    const slot = this.slot[op] ?? 0;
    if (slot >= 0) this.required.set(slot);
    else this.optional.set(-1 - slot);
  }

  unmark(op: number): void {
    const slot = this.slot[op] ?? 0;
    if (slot >= 0) this.required.clear(slot);
    else this.optional.clear(-1 - slot);
  }

  /**
   * Records the current linearized set with `state` and a flag that restricts the next step;
   * false if it was already recorded.
   */
  visit(state: RegisterState, flag: boolean): boolean {
    const tag = this.stateId(state) * 2 + (flag ? 1 : 0);
    const codes = [tag & 0xffff, Math.floor(tag / 0x10000)];
    this.required.encodeInto(codes);
    this.optional.encodeInto(codes);
    const key = fromCodes(codes);
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }

  private stateId(state: RegisterState): number {
    let id = this.stateIds.get(state);
    if (id === undefined) {
      id = this.stateIds.size;
      this.stateIds.set(state, id);
    }
    return id;
  }
}
