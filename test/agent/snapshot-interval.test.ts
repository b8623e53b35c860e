// The automatic snapshot policy: at least `threshold` entries apart, and at least as many as the
// previous snapshot held rows and events, up to MAX_INTERVAL_FACTOR thresholds.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  INTERVAL_JITTER,
  jitteredInterval,
  MAX_INTERVAL_FACTOR,
  snapshotInterval,
} from '../../src/agent/snapshotter.ts';

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

describe('jitteredInterval', () => {
  test('stretches the interval by up to INTERVAL_JITTER of itself, never shortens it', () => {
    assert.equal(jitteredInterval(8192, 65_536, 0), 65_536);
    assert.equal(
      jitteredInterval(8192, 65_536, 0.5),
      65_536 + Math.floor(0.5 * INTERVAL_JITTER * 65_536),
    );
    const top = jitteredInterval(8192, 65_536, 0.999_999);
    assert.ok(top < 65_536 * (1 + INTERVAL_JITTER) && top > 65_536);
  });

  test('replicas drawing different jitter snapshot at different indexes', () => {
    const at = [0.1, 0.5, 0.9].map((r) => jitteredInterval(8192, 40_000, r));
    assert.equal(new Set(at).size, 3);
    // Spread over thousands of entries: at 10,000 writes/s, packs hundreds of ms apart.
    assert.ok(Math.max(...at) - Math.min(...at) >= 0.8 * INTERVAL_JITTER * 40_000 - 1);
  });
});
