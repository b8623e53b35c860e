// Pairs a validated history's events into operations. Positions in the event array are kept as
// the operations' call and return points: they are the real-time order the checker uses.
import type { HistoryEvent, OpName } from './history.ts';

export interface Operation {
  readonly process: number;
  readonly f: OpName;
  readonly key: string;
  readonly invoke: HistoryEvent;
  readonly callIndex: number;
  /** Absent when the history ends with the operation still pending. */
  readonly completion: HistoryEvent | undefined;
  readonly returnIndex: number | undefined;
}

type Draft = { -readonly [K in keyof Operation]: Operation[K] };

/** Operations in invoke order. Assumes a validated history. */
export function pairOperations(events: readonly HistoryEvent[]): Operation[] {
  const open = new Map<number, Draft>();
  const ops: Draft[] = [];
  events.forEach((event, index) => {
    if (event.type === 'invoke') {
      const { process, f, key } = event;
      const op: Draft = {
        process,
        f,
        key,
        invoke: event,
        callIndex: index,
        completion: undefined,
        returnIndex: undefined,
      };
      open.set(process, op);
      ops.push(op);
      return;
    }
    const op = open.get(event.process);
    if (op === undefined) return;
    op.completion = event;
    op.returnIndex = index;
    open.delete(event.process);
  });
  return ops;
}

/** Operations grouped by key, keys in order of first appearance. */
export function groupByKey(ops: readonly Operation[]): Map<string, Operation[]> {
  const groups = new Map<string, Operation[]>();
  for (const op of ops) {
    const group = groups.get(op.key);
    if (group === undefined) groups.set(op.key, [op]);
    else group.push(op);
  }
  return groups;
}

/** The events of the given operations, in their original history order. */
export function eventsOf(ops: readonly Operation[]): HistoryEvent[] {
  const indexed: [number, HistoryEvent][] = [];
  for (const op of ops) {
    indexed.push([op.callIndex, op.invoke]);
    if (op.completion !== undefined && op.returnIndex !== undefined) {
      indexed.push([op.returnIndex, op.completion]);
    }
  }
  indexed.sort((a, b) => a[0] - b[0]);
  return indexed.map(([, event]) => event);
}
