// The history format the checker accepts, and its validation. Validation is strict because a
// malformed history silently checked would give a verdict about the wrong history.
//
// Real-time order is the order of events in the history (the order of lines). `time` must be
// non-decreasing, so this is the order by time with ties broken by position: a completion
// written before an invoke with the same time is taken to precede it.

export type EventType = 'invoke' | 'ok' | 'fail' | 'info';
export type OpName = 'read' | 'write' | 'cas' | 'delete';

export interface HistoryEvent {
  process: number;
  type: EventType;
  f: OpName;
  key: string;
  value: string | null | [string, string];
  time: number;
}

/**
 * What `checkHistory` accepts: a `HistoryEvent`, or a read-only variant of it (as the simulator
 * records), which a mutable tuple type would otherwise reject.
 */
export interface HistoryEventInput {
  readonly process: number;
  readonly type: EventType;
  readonly f: OpName;
  readonly key: string;
  readonly value: string | null | readonly [string, string];
  readonly time: number;
}

/** Says how a position is named in messages: a JSONL line or an index into an event array. */
export type PositionUnit = 'line' | 'event';

export class HistoryError extends Error {
  readonly code = 'MALFORMED_HISTORY' as const;
  /** 1-based line (or event number, for histories given as arrays). */
  readonly line: number;
  readonly field: string;

  constructor(line: number, field: string, reason: string, unit: PositionUnit = 'line') {
    super(`${unit} ${line}, field "${field}": ${reason}`);
    this.name = 'HistoryError';
    this.line = line;
    this.field = field;
  }
}

const EVENT_TYPES: readonly string[] = ['invoke', 'ok', 'fail', 'info'];
const OP_NAMES: readonly string[] = ['read', 'write', 'cas', 'delete'];

type Fail = (field: string, reason: string) => never;

function isEventType(x: unknown): x is EventType {
  return typeof x === 'string' && EVENT_TYPES.includes(x);
}

function isOpName(x: unknown): x is OpName {
  return typeof x === 'string' && OP_NAMES.includes(x);
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function describe(x: unknown): string {
  if (x === undefined) return 'missing';
  return `got ${JSON.stringify(x) ?? typeof x}`;
}

function readInteger(obj: Record<string, unknown>, field: string, fail: Fail): number {
  const x = obj[field];
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) {
    fail(field, `must be a non-negative integer, ${describe(x)}`);
  }
  return x;
}

function readPair(x: unknown, fail: Fail): [string, string] {
  if (Array.isArray(x) && x.length === 2) {
    const expected: unknown = x[0];
    const next: unknown = x[1];
    if (typeof expected === 'string' && typeof next === 'string') return [expected, next];
  }
  return fail('value', `a cas value must be [expected, new] (two strings), ${describe(x)}`);
}

/** The value shape each (f, type) admits; completions may omit a value the invoke carried. */
function readValue(f: OpName, type: EventType, x: unknown, fail: Fail): HistoryEvent['value'] {
  const invoke = type === 'invoke';
  switch (f) {
    case 'read':
      if (x === null || (!invoke && typeof x === 'string')) return x;
      return fail(
        'value',
        `${invoke ? 'a read invoke must have null' : 'must be a string or null'}, ${describe(x)}`,
      );
    case 'write':
      if (typeof x === 'string' || (!invoke && x === null)) return x;
      return fail('value', `a write must carry the written string, ${describe(x)}`);
    case 'cas':
      return !invoke && x === null ? null : readPair(x, fail);
    case 'delete':
      if (x === null) return null;
      return fail('value', `a delete must have null, ${describe(x)}`);
  }
}

/** Checks one event's fields and returns a fresh copy holding only the known fields. */
function readEvent(raw: unknown, fail: Fail): HistoryEvent {
  if (!isRecord(raw)) return fail('(event)', `must be a JSON object, ${describe(raw)}`);
  const process = readInteger(raw, 'process', fail);
  const { type, f, key } = raw;
  if (!isEventType(type))
    return fail('type', `must be one of ${EVENT_TYPES.join('|')}, ${describe(type)}`);
  if (!isOpName(f)) return fail('f', `must be one of ${OP_NAMES.join('|')}, ${describe(f)}`);
  if (typeof key !== 'string') return fail('key', `must be a string, ${describe(key)}`);
  const value = readValue(f, type, raw['value'], fail);
  const time = readInteger(raw, 'time', fail);
  return { process, type, f, key, value, time };
}

function sameValue(a: HistoryEvent['value'], b: HistoryEvent['value']): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a[0] === b[0] && a[1] === b[1];
  return a === b;
}

/** Enforces the cross-event rules: time order and one pending operation per process. */
class SequenceRules {
  private readonly pending = new Map<number, HistoryEvent>();
  private lastTime = 0;

  accept(event: HistoryEvent, fail: Fail): void {
    if (event.time < this.lastTime) {
      fail('time', `time decreased from ${this.lastTime} to ${event.time}`);
    }
    this.lastTime = event.time;
    const open = this.pending.get(event.process);
    if (event.type === 'invoke') {
      if (open !== undefined) {
        fail(
          'type',
          `process ${event.process} invoked ${event.f} while its ${open.f} is still pending`,
        );
      }
      this.pending.set(event.process, event);
      return;
    }
    if (open === undefined) {
      fail('type', `${event.type} for process ${event.process}, which has no pending invoke`);
    }
    this.checkCompletion(open, event, fail);
    this.pending.delete(event.process);
  }

  private checkCompletion(open: HistoryEvent, event: HistoryEvent, fail: Fail): void {
    if (event.f !== open.f)
      fail('f', `completion is ${event.f} but the pending invoke is ${open.f}`);
    if (event.key !== open.key) {
      fail(
        'key',
        `completion key ${JSON.stringify(event.key)} differs from the invoke's ${JSON.stringify(open.key)}`,
      );
    }
    const echoes = open.f === 'write' || open.f === 'cas';
    if (echoes && event.value !== null && !sameValue(event.value, open.value)) {
      fail(
        'value',
        `completion value ${JSON.stringify(event.value)} differs from the invoke's ${JSON.stringify(open.value)}`,
      );
    }
  }
}

/**
 * Parses a JSONL history (one event per line; blank lines are skipped).
 * @throws HistoryError naming the line and field of the first problem found.
 */
export function parseHistory(text: string): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  const rules = new SequenceRules();
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '') return;
    const fail: Fail = (field, reason) => {
      throw new HistoryError(index + 1, field, reason);
    };
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (err) {
      fail('(json)', `invalid JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
    const event = readEvent(raw, fail);
    rules.accept(event, fail);
    events.push(event);
  });
  return events;
}

/**
 * Validates events given as an array (positions are reported as 1-based event numbers) and
 * returns validated copies.
 * @throws HistoryError
 */
export function validateHistory(events: readonly HistoryEventInput[]): HistoryEvent[] {
  const rules = new SequenceRules();
  return events.map((raw, index) => {
    const fail: Fail = (field, reason) => {
      throw new HistoryError(index + 1, field, reason, 'event');
    };
    const event = readEvent(raw, fail);
    rules.accept(event, fail);
    return event;
  });
}
