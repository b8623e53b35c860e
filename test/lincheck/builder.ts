// A terse way to write histories by hand: each call appends one event at the next time step.
import type { EventType, HistoryEvent, OpName } from '../../src/lincheck/index.ts';

type Value = HistoryEvent['value'];

export class HistoryBuilder {
  readonly events: HistoryEvent[] = [];
  private time = 0;
  private readonly open = new Map<number, HistoryEvent>();

  invoke(process: number, f: OpName, value: Value = null, key = 'k'): this {
    const event: HistoryEvent = { process, type: 'invoke', f, key, value, time: this.tick() };
    this.open.set(process, event);
    this.events.push(event);
    return this;
  }

  /** Completes `process`'s pending operation; `value` defaults to the invoke's (reads: null). */
  ok(process: number, value?: Value): this {
    return this.complete(process, 'ok', value);
  }

  fail(process: number): this {
    return this.complete(process, 'fail');
  }

  info(process: number): this {
    return this.complete(process, 'info');
  }

  /** Sequential shorthands: invoke and complete at once. */
  write(process: number, value: string, key = 'k'): this {
    return this.invoke(process, 'write', value, key).ok(process);
  }

  read(process: number, value: string | null, key = 'k'): this {
    return this.invoke(process, 'read', null, key).ok(process, value);
  }

  cas(process: number, expected: string, next: string, type: 'ok' | 'fail', key = 'k'): this {
    return this.invoke(process, 'cas', [expected, next], key).complete(process, type);
  }

  delete(process: number, key = 'k'): this {
    return this.invoke(process, 'delete', null, key).ok(process);
  }

  jsonl(): string {
    return this.events.map((e) => JSON.stringify(e)).join('\n') + '\n';
  }

  private complete(process: number, type: Exclude<EventType, 'invoke'>, value?: Value): this {
    const invoke = this.open.get(process);
    if (invoke === undefined) throw new Error(`process ${process} has nothing pending`);
    this.open.delete(process);
    const echoed = invoke.f === 'read' ? null : invoke.value;
    const event: HistoryEvent = { ...invoke, type, value: value ?? echoed, time: this.tick() };
    this.events.push(event);
    return this;
  }

  private tick(): number {
    this.time += 10;
    return this.time;
  }
}

export const history = (): HistoryBuilder => new HistoryBuilder();
