// The automatic snapshot policy: at least `threshold` entries apart, and at least as many as the
// previous snapshot held rows and events, up to MAX_INTERVAL_FACTOR thresholds.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_INTERVAL_FACTOR, snapshotInterval } from '../../src/agent/snapshotter.ts';

describe('snapshotInterval', () => {
  test('a small state snapshots every threshold entries', () => {
    assert.equal(snapshotInterval(8192, 0), 8192);
    assert.equal(snapshotInterval(8192, 8191), 8192);
  });

  test('a larger state waits as many entries as it has rows', () => {
    assert.equal(snapshotInterval(8192, 65_536), 65_536);
    assert.equal(snapshotInterval(50, 51), 51);
  });

  test('the interval is capped at MAX_INTERVAL_FACTOR thresholds', () => {
    assert.equal(snapshotInterval(8192, 10_000_000), 8192 * MAX_INTERVAL_FACTOR);
    assert.equal(snapshotInterval(1, 1_000), MAX_INTERVAL_FACTOR);
  });

  test('a table built only by creates snapshots at geometrically growing indexes', () => {
    // Every entry creates a row (events not counted here): the rows at a snapshot equal its index.
    const at: number[] = [];
    let last = 0;
    while (at.length < 6) {
      last += snapshotInterval(25, last);
      at.push(last);
    }
    assert.deepEqual(at, [25, 50, 100, 200, 400, 800]);
  });
});
