import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkHistory,
  HistoryError,
  parseHistory,
  validateHistory,
} from '../../src/lincheck/index.ts';
import { history } from './builder.ts';

const line = (fields: Record<string, unknown>): string =>
  JSON.stringify({
    process: 1,
    type: 'invoke',
    f: 'write',
    key: 'k',
    value: 'a',
    time: 1,
    ...fields,
  });

/** Asserts that parsing fails with a HistoryError naming this line and field. */
function rejects(lines: readonly string[], at: number, field: string, reason: RegExp): void {
  assert.throws(
    () => parseHistory(lines.join('\n')),
    (err: unknown) => {
      assert.ok(err instanceof HistoryError, `expected a HistoryError, got ${String(err)}`);
      assert.equal(err.code, 'MALFORMED_HISTORY');
      assert.equal(err.line, at);
      assert.equal(err.field, field);
      assert.match(
        err.message,
        new RegExp(`^line ${at}, field "${field.replace(/[()]/g, '\\$&')}"`),
      );
      assert.match(err.message, reason);
      return true;
    },
  );
}

describe('parseHistory', () => {
  it('round-trips a valid history', () => {
    // A history written as JSONL parses back to the same events.
    const h = history().write(1, 'a').read(2, 'a').cas(3, 'a', 'b', 'ok').delete(1);
    h.invoke(2, 'write', 'c').info(2);
    assert.deepEqual(parseHistory(h.jsonl()), h.events);
  });

  it('skips blank lines but counts them in line numbers', () => {
    // Blank lines (and CRLF endings) are ignored, and errors still name the physical line.
    const text = `${line({})}\r\n\n${line({ type: 'ok', time: 0 })}\n`;
    rejects(text.split('\n'), 3, 'time', /decreased from 1 to 0/);
    assert.equal(parseHistory(`${line({})}\r\n\n`).length, 1);
  });

  it('ignores unknown fields and copies only the known ones', () => {
    // Extra fields such as an operation id do not reach the parsed events.
    const [event] = parseHistory(line({ opId: 'x' }));
    assert.deepEqual(event, {
      process: 1,
      type: 'invoke',
      f: 'write',
      key: 'k',
      value: 'a',
      time: 1,
    });
  });

  const cases: [string, string[], number, string, RegExp][] = [
    ['bad JSON', ['{"process": 1,'], 1, '(json)', /invalid JSON/],
    ['a non-object', ['[1, 2]'], 1, '(event)', /must be a JSON object/],
    ['a missing process', [line({ process: undefined })], 1, 'process', /missing/],
    ['a negative process', [line({ process: -1 })], 1, 'process', /non-negative integer/],
    ['an unknown type', [line({ type: 'done' })], 1, 'type', /one of invoke\|ok\|fail\|info/],
    ['an unknown f', [line({ f: 'append' })], 1, 'f', /one of read\|write\|cas\|delete/],
    ['a non-string key', [line({ key: 7 })], 1, 'key', /must be a string, got 7/],
    ['a write of null', [line({ value: null })], 1, 'value', /written string/],
    ['a cas with one value', [line({ f: 'cas', value: ['a'] })], 1, 'value', /\[expected, new\]/],
    ['a read invoke with a value', [line({ f: 'read', value: 'a' })], 1, 'value', /must have null/],
    ['a delete with a value', [line({ f: 'delete', value: 'a' })], 1, 'value', /must have null/],
    ['a fractional time', [line({ time: 1.5 })], 1, 'time', /integer, got 1.5/],
    ['a string time', [line({ time: '1' })], 1, 'time', /integer, got "1"/],
    ['a missing time', [line({ time: undefined })], 1, 'time', /missing/],
    [
      'time going backwards',
      [line({ time: 5 }), line({ type: 'ok', time: 4 })],
      2,
      'time',
      /decreased/,
    ],
    ['a completion without invoke', [line({ type: 'ok' })], 1, 'type', /no pending invoke/],
    ['a second invoke', [line({}), line({ time: 2 })], 2, 'type', /still pending/],
    [
      'a completion of another f',
      [line({}), line({ type: 'ok', f: 'delete', value: null })],
      2,
      'f',
      /pending invoke is write/,
    ],
    [
      'a completion of another key',
      [line({}), line({ type: 'ok', key: 'j' })],
      2,
      'key',
      /differs/,
    ],
    [
      'a completion with another value',
      [line({}), line({ type: 'ok', value: 'b' })],
      2,
      'value',
      /differs/,
    ],
  ];
  for (const [name, lines, at, field, reason] of cases) {
    it(`rejects ${name}`, () => {
      // Each malformation is reported with its line, field and reason.
      rejects(lines, at, field, reason);
    });
  }
});

describe('validateHistory', () => {
  it('names event numbers for histories given as arrays', () => {
    // Arrays are validated with the same rules, positions reported as 1-based event numbers.
    const [invoke, ok] = history().write(1, 'a').events;
    assert.ok(invoke !== undefined && ok !== undefined);
    const broken = [invoke, { ...ok, key: 'other' }];
    assert.throws(() => validateHistory(broken), /^HistoryError: event 2, field "key"/);
  });

  it('is applied by checkHistory', () => {
    // checkHistory refuses malformed input instead of checking it.
    const events = history().write(1, 'a').events;
    assert.throws(() => checkHistory([...events].reverse()), HistoryError);
  });
});
