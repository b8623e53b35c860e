import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkHistory, type HistoryEvent } from '../../src/lincheck/index.ts';
import { simulate } from './simulate.ts';

/** 10,000 operations on 10 keys from 10 concurrent clients, some failing or timing out. */
function bigHistory(seed: number): HistoryEvent[] {
  return simulate({
    seed,
    processes: 10,
    keys: 10,
    operations: 10_000,
    infoRate: 0.05,
    failRate: 0.05,
  });
}

/** Makes the middle successful read of `key` return an older value of that key. */
function staleRead(events: readonly HistoryEvent[], key: string): HistoryEvent[] {
  const reads = events.flatMap((e, i) =>
    e.key === key && e.f === 'read' && e.type === 'ok' && e.value !== null ? [i] : [],
  );
  const at = reads[Math.floor(reads.length / 2)] ?? 0;
  const target = events[at];
  const older = reads
    .slice(0, Math.floor(reads.length / 2) - 20)
    .map((i) => events[i]?.value)
    .find((v) => v !== target?.value);
  assert.ok(target !== undefined && older !== undefined);
  return events.map((e, i) => (i === at ? { ...e, value: older } : e));
}

describe('checking a large simulated history', () => {
  it('accepts 10,000 operations from a concurrent simulation', () => {
    // Linearizable by construction, so the checker must find the orders on every key.
    const events = bigHistory(1);
    assert.ok(events.filter((e) => e.type === 'invoke').length === 10_000);
    assert.ok(events.some((e) => e.type === 'info'));
    assert.ok(events.some((e) => e.type === 'fail'));
    assert.deepEqual(checkHistory(events), { ok: true });
  });

  it('rejects it once one read is stale, with a small window', () => {
    // A single stale read deep in the history is found and shown without the rest.
    const result = checkHistory(staleRead(bigHistory(2), 'k3'));
    assert.equal(result.ok, false);
    if (result.ok === false) {
      assert.equal(result.key, 'k3');
      assert.ok(result.window.length <= 20, `window of ${result.window.length} events`);
    }
  });

  it('answers unknown, not a verdict, when the budget is too small', () => {
    // A budget far below what the search needs yields unknown for some key.
    const result = checkHistory(bigHistory(3), { maxStates: 50 });
    assert.equal(result.ok, 'unknown');
  });

  it('accepts a single heavily contended key with many info operations', () => {
    // One key, 10 clients and 20% unknown outcomes is still searched to a verdict.
    const events = simulate({
      seed: 4,
      processes: 10,
      keys: 1,
      operations: 3000,
      infoRate: 0.2,
      failRate: 0.05,
    });
    assert.deepEqual(checkHistory(events), { ok: true });
  });
});
