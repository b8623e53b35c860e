// The human explanations attached to a failing verdict.
import { formatOperation } from './format.ts';
import type { Operation } from './operations.ts';
import type { SearchOp } from './problem.ts';
import type { FailingWindow } from './window.ts';

function describe(op: Operation): string {
  return formatOperation(op.invoke, op.completion);
}

/** For a window the search could not order. */
export function explainWindow(key: string, window: FailingWindow): string {
  const start = window.anyStart ? 'Whatever value the key held before them, these' : 'These';
  const lines = [
    `${start} ${window.ops.length} operations on key ${JSON.stringify(key)} cannot be put in ` +
      'any order that respects real time (an operation that returned before another was ' +
      'invoked comes first) and gives every operation its recorded result.',
  ];
  const { blocker, progress } = window.failure;
  if (blocker !== undefined) {
    lines.push(
      `At best ${progress} of the operations that must have taken effect can be ordered, and ` +
        `then this one cannot be placed before it returned: ${describe(blocker.source)}`,
    );
  }
  const uncertain = (op: Operation): boolean =>
    op.completion?.type !== 'ok' && op.completion?.type !== 'fail';
  if (window.ops.some((s) => uncertain(s.source))) {
    lines.push(
      'Operations that ended in info or never completed may or may not have taken effect.',
    );
  }
  return lines.join('\n');
}

/** For an operation that observed a value nothing could have stored in time. */
export function explainUnexplained(
  key: string,
  observer: SearchOp,
  keyOps: readonly Operation[],
): string {
  const value =
    observer.op.kind === 'cas'
      ? observer.op.expected
      : observer.op.kind === 'read'
        ? observer.op.value
        : null;
  const shown = JSON.stringify(value);
  const lines = [
    `On key ${JSON.stringify(key)}, ${describe(observer.source)} observed ${shown}, but no ` +
      `operation that could have stored ${shown} was invoked before it returned.`,
  ];
  const failed = keyOps.filter(
    (op) => op.completion?.type === 'fail' && op.f !== 'read' && storesValue(op, value),
  );
  for (const op of failed) {
    lines.push(`Not counted, because it failed and so stored nothing: ${describe(op)}`);
  }
  return lines.join('\n');
}

function storesValue(op: Operation, value: string | null): boolean {
  const v = op.invoke.value;
  return op.f === 'cas' ? Array.isArray(v) && v[1] === value : v === value;
}
