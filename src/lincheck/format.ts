// Human-readable rendering of operations and verdicts, shared by the CLI and library callers.
import type { CheckResult } from './check.ts';
import type { HistoryEvent } from './history.ts';

function quote(value: HistoryEvent['value']): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  return `${JSON.stringify(value[0])} => ${JSON.stringify(value[1])}`;
}

function call(invoke: HistoryEvent): string {
  return invoke.f === 'read' || invoke.f === 'delete'
    ? invoke.f
    : `${invoke.f} ${quote(invoke.value)}`;
}

function outcome(invoke: HistoryEvent, completion: HistoryEvent | undefined): string {
  if (completion === undefined) return 'pending (never completed)';
  switch (completion.type) {
    case 'ok':
      if (invoke.f === 'read')
        return completion.value === null ? 'null (absent)' : quote(completion.value);
      return invoke.f === 'cas' ? 'ok (swapped)' : 'ok';
    case 'fail':
      return invoke.f === 'cas' ? 'fail (did not swap)' : 'fail';
    case 'info':
    case 'invoke':
      return 'info (outcome unknown)';
  }
}

/** One operation on one line, e.g. `process 3: cas "a" => "b" -> ok (swapped)  [t=100..250]`. */
export function formatOperation(
  invoke: HistoryEvent,
  completion: HistoryEvent | undefined,
): string {
  const span = completion === undefined ? `${invoke.time}..` : `${invoke.time}..${completion.time}`;
  return `process ${invoke.process}: ${call(invoke)} -> ${outcome(invoke, completion)}  [t=${span}]`;
}

/** Pairs a window's events back into operations, one line each, in invoke order. */
export function formatWindow(events: readonly HistoryEvent[]): string[] {
  const lines: string[] = [];
  const open = new Map<number, { invoke: HistoryEvent; line: number }>();
  for (const event of events) {
    if (event.type === 'invoke') {
      open.set(event.process, { invoke: event, line: lines.length });
      lines.push(formatOperation(event, undefined));
      continue;
    }
    const pending = open.get(event.process);
    if (pending === undefined) continue;
    lines[pending.line] = formatOperation(pending.invoke, event);
    open.delete(event.process);
  }
  return lines;
}

/** The CLI's report: a first line with the verdict, then details for the other verdicts. */
export function formatResult(result: CheckResult): string {
  if (result.ok === true) return 'linearizable';
  const key = `key: ${JSON.stringify(result.key)}`;
  if (result.ok === 'unknown') return ['unknown', key, result.reason].join('\n');
  const operations = formatWindow(result.window).map((line) => `  ${line}`);
  return ['not linearizable', key, result.explanation, 'operations:', ...operations].join('\n');
}
