import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checkHistory, type HistoryEvent, type OpName } from '../../src/lincheck/index.ts';
import { bruteForceLinearizable } from './brute.ts';
import { execute, type Ending, type PlannedOp } from './simulate.ts';

const OP_NAMES: readonly OpName[] = ['read', 'write', 'cas', 'delete'];

/** One operation of a sequential execution: its interval and where in it it takes effect. */
const step = fc.record({
  process: fc.integer({ min: 0, max: 4 }),
  f: fc.constantFrom(...OP_NAMES),
  key: fc.constantFrom('x', 'y'),
  value: fc.integer({ min: 0, max: 3 }),
  expected: fc.integer({ min: 0, max: 3 }),
  gap: fc.integer({ min: 0, max: 6 }),
  duration: fc.integer({ min: 1, max: 12 }),
  point: fc.double({ min: 0.01, max: 0.99, noNaN: true }),
  ending: fc.constantFrom<Ending>('result', 'result', 'result', 'result', 'fail', 'info', 'none'),
  applied: fc.boolean(),
  late: fc.double({ min: 0, max: 4, noNaN: true }),
});

type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

/**
 * Lays the steps out per process, back to back with gaps, so intervals of different processes
 * overlap at random. Failed writes, deletes and reads never take effect; info operations take
 * effect at some point after their call (possibly after their info event) or never.
 */
function plan(steps: readonly Step[]): PlannedOp[] {
  const clocks = new Map<number, number>();
  const last = new Map<number, number>();
  steps.forEach((s, i) => last.set(s.process, i));
  return steps.map((s, i) => {
    const call = (clocks.get(s.process) ?? 0) + s.gap;
    const ret = call + s.duration;
    clocks.set(s.process, ret + 1);
    const inside = call + s.point * s.duration;
    let ending = s.ending;
    if (ending === 'none' && last.get(s.process) !== i) ending = 'info';
    if (ending === 'fail' && s.f === 'cas') ending = 'result';
    const unknown = ending === 'info' || ending === 'none';
    const point =
      ending === 'fail'
        ? undefined
        : unknown
          ? s.applied
            ? inside + s.late * s.duration
            : undefined
          : inside;
    const value =
      s.f === 'write'
        ? `v${s.value}`
        : s.f === 'cas'
          ? ([`v${s.expected}`, `v${s.value}`] as [string, string])
          : null;
    return { process: s.process, f: s.f, key: s.key, value, call, ret, point, ending };
  });
}

const execution = fc
  .array(step, { minLength: 1, maxLength: 40 })
  .map((steps) => execute(plan(steps)));

/** Histories with no guarantee at all: random invokes and completions. */
const chaos = fc
  .array(
    fc.record({
      process: fc.integer({ min: 0, max: 2 }),
      f: fc.constantFrom(...OP_NAMES),
      key: fc.constantFrom('x', 'y'),
      a: fc.constantFrom('a', 'b'),
      b: fc.constantFrom('a', 'b', null),
      type: fc.constantFrom<'ok' | 'fail' | 'info'>('ok', 'ok', 'ok', 'fail', 'info'),
    }),
    { maxLength: 14 },
  )
  .map((moves) => {
    const events: HistoryEvent[] = [];
    const open = new Map<number, HistoryEvent>();
    moves.forEach((m, time) => {
      const pending = open.get(m.process);
      if (pending !== undefined) {
        const value = pending.f === 'read' ? (m.type === 'ok' ? m.b : null) : pending.value;
        events.push({ ...pending, type: m.type, value, time });
        open.delete(m.process);
        return;
      }
      const value =
        m.f === 'write' ? m.a : m.f === 'cas' ? ([m.a, m.b ?? 'c'] as [string, string]) : null;
      const invoke: HistoryEvent = {
        process: m.process,
        type: 'invoke',
        f: m.f,
        key: m.key,
        value,
        time,
      };
      events.push(invoke);
      open.set(m.process, invoke);
    });
    return events;
  });

describe('checkHistory properties', () => {
  it('accepts every history produced by a sequential execution', () => {
    // Results computed by applying operations at a point inside their intervals are linearizable.
    fc.assert(
      fc.property(execution, (events) => {
        assert.deepEqual(checkHistory(events), { ok: true });
      }),
      { numRuns: 300 },
    );
  });

  it('rejects such a history once a read returns a value never written', () => {
    // Changing one successful read to an unwritten value always makes the history invalid.
    fc.assert(
      fc.property(execution, fc.nat(), (events, n) => {
        const reads = events.flatMap((e, i) => (e.f === 'read' && e.type === 'ok' ? [i] : []));
        fc.pre(reads.length > 0);
        const at = reads[n % reads.length] ?? 0;
        const mutated = events.map((e, i) => (i === at ? { ...e, value: 'never written' } : e));
        const result = checkHistory(mutated);
        assert.equal(result.ok, false);
        if (result.ok === false) {
          assert.ok(result.window.some((e) => e.value === 'never written'));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with a naive reference checker on small arbitrary histories', () => {
    // On random (mostly invalid) histories the verdict matches exhaustive enumeration.
    fc.assert(
      fc.property(chaos, (events) => {
        const result = checkHistory(events);
        assert.notEqual(result.ok, 'unknown');
        assert.equal(result.ok, bruteForceLinearizable(events), JSON.stringify(events));
      }),
      { numRuns: 1000 },
    );
  });

  it('reports windows that are violations on their own', () => {
    // Whenever a history is rejected, its window alone is rejected by the reference checker.
    fc.assert(
      fc.property(chaos, (events) => {
        const result = checkHistory(events);
        fc.pre(result.ok === false);
        if (result.ok === false) assert.equal(bruteForceLinearizable(result.window), false);
      }),
      { numRuns: 500 },
    );
  });
});
