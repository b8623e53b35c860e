// A Jepsen-style history of client operations, the input of the linearizability checker.
// Value conventions:
//   write:  invoke/ok/info value = the written string
//   read:   invoke value null; ok value = the string read, or null for a missing key
//   cas:    value [expected, new]; ok = swapped; fail = executed but did not swap
//   delete: value null
// 'fail' means the operation certainly had no effect (for cas: it ran and did not swap; a cas
// that never ran is retracted from the history instead); 'info' means it may or may not have
// happened (proposal accepted, no answer before a timeout or a crash). A process whose op ended
// in 'info' never issues again (the client continues as a fresh process).

export type OpFunction = 'read' | 'write' | 'cas' | 'delete';
export type EventType = 'invoke' | 'ok' | 'fail' | 'info';
export type OpValue = string | null | readonly [string, string];

export interface HistoryEvent {
  readonly process: number;
  readonly type: EventType;
  readonly f: OpFunction;
  readonly key: string;
  readonly value: OpValue;
  /** Virtual time in milliseconds. Events are also in real-time order in the array. */
  readonly time: number;
}

interface Open {
  readonly f: OpFunction;
  readonly key: string;
  readonly value: OpValue;
  readonly opId: string;
  readonly event: HistoryEvent;
}

export class History {
  private readonly log: HistoryEvent[] = [];
  private readonly open = new Map<number, Open>();
  /** Op ids of acknowledged (ok) mutations, with the process that issued them. */
  private readonly acked = new Map<string, number>();

  get events(): readonly HistoryEvent[] {
    return this.log;
  }

  get openCount(): number {
    return this.open.size;
  }

  invoke(
    process: number,
    f: OpFunction,
    key: string,
    value: OpValue,
    opId: string,
    time: number,
  ): void {
    if (this.open.has(process)) {
      throw new Error(`history: process ${process} invoked ${f} with an op still open`);
    }
    const event: HistoryEvent = { process, type: 'invoke', f, key, value, time };
    this.open.set(process, { f, key, value, opId, event });
    this.log.push(event);
  }

  /** Completes the open op of `process`; `value` defaults to the invoke's value. */
  complete(
    process: number,
    type: Exclude<EventType, 'invoke'>,
    time: number,
    value?: OpValue,
  ): void {
    const op = this.open.get(process);
    if (op === undefined) throw new Error(`history: process ${process} completed with no open op`);
    this.open.delete(process);
    if (type === 'ok' && op.f !== 'read') this.acked.set(op.opId, process);
    this.log.push({ process, type, f: op.f, key: op.key, value: value ?? op.value, time });
  }

  /**
   * Removes the open op of `process` as if it had never been invoked. For a cas that was never
   * submitted (node down, proposal rejected): the checker reads a failed cas as "executed and
   * found a mismatch", which an op that never ran did not observe.
   */
  retract(process: number): void {
    const op = this.open.get(process);
    if (op === undefined) throw new Error(`history: process ${process} retracted with no open op`);
    this.open.delete(process);
    const at = this.log.lastIndexOf(op.event);
    if (at >= 0) this.log.splice(at, 1);
  }

  isOpen(process: number): boolean {
    return this.open.has(process);
  }

  /** Op ids of every acknowledged write/cas/delete (cas counts only when it swapped). */
  ackedMutations(): ReadonlyMap<string, number> {
    return this.acked;
  }
}

/** One line per event, for traces and failure reports. */
export function formatEvent(e: HistoryEvent): string {
  const v = Array.isArray(e.value) ? `[${e.value.join(',')}]` : String(e.value);
  return `${e.time}ms p${e.process} ${e.type} ${e.f} ${e.key} ${v}`;
}
