import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import {
  checkHistory,
  formatResult,
  formatWindow,
  type CheckResult,
  type HistoryEvent,
} from '../../src/lincheck/index.ts';
import { bruteForceLinearizable } from './brute.ts';
import { history, type HistoryBuilder } from './builder.ts';

type Violation = Extract<CheckResult, { ok: false }>;

function violation(h: HistoryBuilder): Violation {
  const result = checkHistory(h.events);
  if (result.ok !== false) assert.fail(`expected a violation, got ${JSON.stringify(result)}`);
  return result;
}

/** The window's operations, one line each. */
function lines(window: readonly HistoryEvent[]): string[] {
  return formatWindow(window);
}

/** Sequential noise on the key before the interesting part. */
function withNoise(count: number): HistoryBuilder {
  const h = history();
  for (let i = 0; i < count; i++) h.write(5, `noise${i}`).read(6, `noise${i}`);
  return h;
}

describe('failing window', () => {
  it('is the stale read and what makes it stale', () => {
    // The window of a stale read shows the overwriting write and the read, not unrelated ops.
    const result = violation(withNoise(100).write(1, 'a').write(1, 'b').read(2, 'a'));
    const shown = lines(result.window).join('\n');
    assert.ok(result.window.length <= 6, shown);
    assert.match(shown, /process 1: write "b" -> ok/);
    assert.match(shown, /process 2: read -> "a"/);
    assert.doesNotMatch(shown, /noise/);
  });

  it('is the read alone when the value was never written', () => {
    // A read of a value nothing wrote is a violation by itself, and the explanation says so.
    const h = withNoise(50).invoke(3, 'write', 'z').fail(3).read(2, 'z');
    const result = violation(h);
    assert.deepEqual(lines(result.window), ['process 2: read -> "z"  [t=2030..2040]']);
    assert.match(result.explanation, /observed "z", but no operation that could have stored "z"/);
    assert.match(
      result.explanation,
      /because it failed and so stored nothing: process 3: write "z" -> fail/,
    );
  });

  it('shows both cas that swapped from the same value', () => {
    // Two concurrent cas from "a" that both succeeded are the window, with the write of "a".
    const h = withNoise(20).write(1, 'a');
    h.invoke(1, 'cas', ['a', 'b']).invoke(2, 'cas', ['a', 'c']).ok(1).ok(2).read(3, 'c');
    const shown = lines(violation(h).window);
    assert.ok(shown.length <= 3, shown.join('\n'));
    assert.ok(shown.some((l) => l.includes('cas "a" => "b" -> ok (swapped)')));
    assert.ok(shown.some((l) => l.includes('cas "a" => "c" -> ok (swapped)')));
  });

  it('consists of events of the history, in history order', () => {
    // The window is a sub-sequence of the input events, so it can be found in the history.
    const h = withNoise(30).write(1, 'a').delete(1).read(2, 'a');
    const { window } = violation(h);
    let next = 0;
    for (const event of window) {
      next = h.events.findIndex((e, i) => i >= next && isDeepStrictEqual(e, event)) + 1;
      assert.ok(next > 0, `${JSON.stringify(event)} is not in order in the history`);
    }
  });

  it('cannot be linearized on its own', () => {
    // Each window, checked alone by the naive reference checker, is still a violation.
    const cases = [
      withNoise(10).write(1, 'a').write(1, 'b').read(2, 'a'),
      history().write(1, 'a').cas(2, 'a', 'c', 'fail'),
      history().write(1, 'a').invoke(1, 'write', 'b').read(2, 'a').read(2, 'b').read(2, 'a').ok(1),
    ];
    for (const h of cases) {
      const { window } = violation(h);
      assert.ok(window.length > 0);
      assert.equal(bruteForceLinearizable(window), false, lines(window).join('\n'));
    }
  });

  it('is explained with the operation the search could not place', () => {
    // The explanation names the operation that could not be ordered.
    const result = violation(history().write(1, 'a').write(1, 'b').read(2, 'a'));
    assert.match(result.explanation, /cannot be put in any order/);
    assert.match(result.explanation, /cannot be placed before it returned: process 2: read -> "a"/);
  });
});

describe('formatResult', () => {
  it('prints the verdict, the key and the window', () => {
    // The report starts with the verdict, then the key, and lists one operation per line.
    const report = formatResult(violation(history().write(1, 'a').write(1, 'b').read(2, 'a')));
    const [verdict, key] = report.split('\n');
    assert.equal(verdict, 'not linearizable');
    assert.equal(key, 'key: "k"');
    assert.match(report, /\n {2}process 1: write "a" -> ok {2}\[t=10\.\.20\]\n/);
    assert.equal(formatResult({ ok: true }), 'linearizable');
  });

  it('prints every kind of operation readably', () => {
    // Each operation kind and outcome has a readable one-line form.
    const h = history().cas(1, 'a', 'b', 'fail').delete(2).read(3, null);
    h.invoke(4, 'write', 'x').info(4).invoke(5, 'cas', ['x', 'y']);
    assert.deepEqual(lines(h.events), [
      'process 1: cas "a" => "b" -> fail (did not swap)  [t=10..20]',
      'process 2: delete -> ok  [t=30..40]',
      'process 3: read -> null (absent)  [t=50..60]',
      'process 4: write "x" -> info (outcome unknown)  [t=70..80]',
      'process 5: cas "x" => "y" -> pending (never completed)  [t=90..]',
    ]);
  });
});
