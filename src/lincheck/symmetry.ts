// Optional operations (outcome unknown) stay candidates from their call to the end of the
// search, so a history with many of them offers many choices at every step. Most choices are
// redundant: two optional operations are interchangeable when their model ops are identical, or
// identical up to stored values that no operation still to be linearized compares the state
// with. Swapping two interchangeable operations in any linearization gives another valid one
// (both stay candidates forever, and nothing left can tell their values apart), so the search
// tries only one operation per class.
import { observedValue, writtenValue, type RegisterOp, type RegisterState } from './model.ts';
import type { SearchOp } from './problem.ts';

function interned<K>(ids: Map<K, number>, key: K): number {
  let id = ids.get(key);
  if (id === undefined) {
    id = ids.size;
    ids.set(key, id);
  }
  return id;
}

/** The class of an op's effect; `valueSeen` false means its stored value no longer matters. */
function signature(op: RegisterOp, valueSeen: boolean): string {
  switch (op.kind) {
    case 'write':
      return JSON.stringify(['write', valueSeen ? op.value : '*']);
    case 'cas':
      return JSON.stringify(['cas', op.expected, valueSeen ? op.next : '*']);
    case 'read':
    case 'casFail':
      return JSON.stringify(op);
  }
}

export class OptionalClasses {
  /** Per compared value: how many operations comparing with it are not linearized yet. */
  private readonly pending: number[] = [];
  /** Per operation: the value it compares with, or -1. */
  private readonly compares: number[];
  /** Per operation: the value it stores, or -1 when nothing ever compares with that value. */
  private readonly stores: number[];
  private readonly liveClass: number[];
  private readonly deadClass: number[];
  /** Per class: the round in which it was last claimed. */
  private readonly claimed: Int32Array;
  private round = 0;

  constructor(ops: readonly SearchOp[]) {
    const values = new Map<RegisterState, number>();
    this.compares = ops.map(({ op }) => {
      const seen = observedValue(op);
      if (seen === undefined) return -1;
      const id = interned(values, seen);
      this.pending[id] = (this.pending[id] ?? 0) + 1;
      return id;
    });
    this.stores = ops.map(({ op }) => {
      const stored = writtenValue(op);
      return stored === undefined ? -1 : (values.get(stored) ?? -1);
    });
    const classes = new Map<string, number>();
    this.liveClass = ops.map(({ op }) => interned(classes, signature(op, true)));
    this.deadClass = ops.map(({ op }) => interned(classes, signature(op, false)));
    this.claimed = new Int32Array(classes.size);
  }

  /** Starts a new set of choices: every class is unclaimed again. */
  newRound(): void {
    this.round++;
  }

  /** True for the first operation of its current class claimed in this round. */
  claim(op: number): boolean {
    const cls = this.classOf(op);
    if (this.claimed[cls] === this.round) return false;
    this.claimed[cls] = this.round;
    return true;
  }

  /** A number shared exactly by operations with identical model ops. */
  identity(op: number): number {
    return this.liveClass[op] ?? -1;
  }

  /** Call when `op` is linearized. */
  take(op: number): void {
    this.adjust(op, -1);
  }

  /** Call when `op`'s linearization is undone. */
  giveBack(op: number): void {
    this.adjust(op, +1);
  }

  classOf(op: number): number {
    const stored = this.stores[op] ?? -1;
    const live = stored >= 0 && (this.pending[stored] ?? 0) > 0;
    return (live ? this.liveClass[op] : this.deadClass[op]) ?? -1;
  }

  private adjust(op: number, delta: number): void {
    const value = this.compares[op] ?? -1;
    if (value >= 0) this.pending[value] = (this.pending[value] ?? 0) + delta;
  }
}
