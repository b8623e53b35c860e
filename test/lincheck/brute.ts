// A deliberately naive reference checker for tiny histories: tries every order of every subset
// the spec allows, straight from the spec's wording, with none of the checker's shortcuts.
import type { HistoryEvent } from '../../src/lincheck/index.ts';

interface Op {
  readonly invoke: HistoryEvent;
  readonly end: HistoryEvent | undefined;
  readonly call: number;
  /** Infinity when the outcome is unknown (info or no completion). */
  readonly ret: number;
  readonly required: boolean;
}

function collect(events: readonly HistoryEvent[]): Op[] {
  const open = new Map<number, { invoke: HistoryEvent; call: number }>();
  const ops: Op[] = [];
  const add = (invoke: HistoryEvent, call: number, end: HistoryEvent | undefined, at: number) => {
    const unknown = end === undefined || end.type === 'info';
    if (invoke.f !== 'cas' && end?.type === 'fail') return; // did not happen
    if (invoke.f === 'read' && unknown) return; // observed nothing
    ops.push({ invoke, end, call, ret: unknown ? Infinity : at, required: !unknown });
  };
  events.forEach((e, i) => {
    if (e.type === 'invoke') open.set(e.process, { invoke: e, call: i });
    else {
      const o = open.get(e.process);
      open.delete(e.process);
      if (o !== undefined) add(o.invoke, o.call, e, i);
    }
  });
  for (const o of open.values()) add(o.invoke, o.call, undefined, Infinity);
  return ops;
}

type State = string | null;

/** The next state, or undefined if the op's recorded result is impossible in `state`. */
function apply(op: Op, state: State): State | undefined {
  const { invoke, end } = op;
  const v = invoke.value;
  switch (invoke.f) {
    case 'read':
      return end?.value === state ? state : undefined;
    case 'write':
      return typeof v === 'string' ? v : undefined;
    case 'delete':
      return null;
    case 'cas': {
      if (!Array.isArray(v)) return undefined;
      if (end?.type === 'ok') return state === v[0] ? v[1] : undefined;
      if (end?.type === 'fail') return state !== v[0] ? state : undefined;
      return state === v[0] ? v[1] : state; // unknown outcome: executed, swapped if equal
    }
  }
}

function search(ops: readonly Op[], placed: boolean[], state: State, key: string): boolean {
  const pending = ops.filter((op, i) => !placed[i] && op.invoke.key === key);
  if (pending.every((op) => !op.required)) return true;
  return ops.some((op, i) => {
    if (placed[i] || op.invoke.key !== key) return false;
    if (pending.some((other) => other.required && other.ret < op.call)) return false;
    const next = apply(op, state);
    if (next === undefined) return false;
    placed[i] = true;
    const found = search(ops, placed, next, key);
    placed[i] = false;
    return found;
  });
}

/** True if the history is linearizable (keys checked independently, each starting absent). */
export function bruteForceLinearizable(events: readonly HistoryEvent[]): boolean {
  const ops = collect(events);
  const keys = new Set(ops.map((op) => op.invoke.key));
  return [...keys].every((key) =>
    search(
      ops,
      ops.map(() => false),
      null,
      key,
    ),
  );
}
