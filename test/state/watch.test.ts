// IndexWatch: blocking-query waiters wake when the index passes theirs, end at their deadline,
// leave the moment they are cancelled, and never number more than the bound.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IndexWatch } from '../../src/state/index.ts';

test('a waiter wakes once the index passes its minimum, not before', async () => {
  const w = new IndexWatch(4);
  let index = 5;
  const p = w.wait(6, () => index, 10_000);
  index = 6;
  w.notify();
  assert.equal(w.size(), 1, 'index 6 does not pass 6');
  index = 7;
  w.notify();
  assert.equal(w.size(), 0);
  assert.equal(await p, true);
});

test('a cancelled waiter leaves at once and answers false', async () => {
  const w = new IndexWatch(4);
  const cancel = new AbortController();
  const p = w.wait(1, () => 0, 60_000, cancel.signal);
  assert.equal(w.size(), 1);
  cancel.abort();
  assert.equal(w.size(), 0, 'gone in the same step as the abort');
  assert.equal(await p, false);
  // Already cancelled: never registered.
  assert.equal(await w.wait(1, () => 0, 60_000, cancel.signal), false);
  assert.equal(w.size(), 0);
});

test('the bound counts live waiters only: a cancelled one frees its slot', async () => {
  const w = new IndexWatch(2);
  const first = new AbortController();
  const all = new AbortController();
  const held = [w.wait(1, () => 0, 60_000, first.signal), w.wait(1, () => 0, 60_000, all.signal)];
  await assert.rejects(
    w.wait(1, () => 0, 60_000),
    RangeError,
  );
  first.abort();
  held.push(w.wait(1, () => 0, 60_000, all.signal));
  assert.equal(w.size(), 2);
  await assert.rejects(
    w.wait(1, () => 0, 60_000),
    RangeError,
  );
  all.abort();
  assert.deepEqual(await Promise.all(held), [false, false, false]);
  assert.equal(w.size(), 0);
});

test('a waiter ends at its deadline with false and leaves', async () => {
  const w = new IndexWatch(1);
  assert.equal(await w.wait(1, () => 0, 20), false);
  assert.equal(w.size(), 0);
});
