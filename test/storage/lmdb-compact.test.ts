// Compaction removes a long log in chunks, each its own transaction: log writes queued during a
// compaction are not held behind all of its deletes, every chunk leaves a consistent log on
// disk, and the end result is the same as one big removal.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { open } from 'lmdb';
import { lmdbPath, restart, withNode } from './disk.ts';
import { entries, hard, ready, snapshot, withDir } from './helpers.ts';

const total = 10_000;

/** The stored log keys, lowest and highest, read without LmdbStorage. */
async function storedRange(dir: string): Promise<[number | undefined, number | undefined]> {
  const root = open<Buffer, string>({ path: lmdbPath(dir), encoding: 'binary', readOnly: true });
  try {
    const log = root.openDB<Buffer, number>({ name: 'log', encoding: 'binary' });
    const low = [...log.getKeys({ limit: 1 })][0];
    const high = [...log.getKeys({ limit: 1, reverse: true })][0];
    return [low, high];
  } finally {
    await root.close();
  }
}

test('a long compaction lets a log write through before it ends, and ends where one removal would', () =>
  withDir(async (dir) => {
    await withNode(dir, async (s) => {
      for (let from = 1; from <= total; from += 1000)
        await s.persist(
          ready({ entries: entries(from, from + 999, 1), hardState: hard(1, 'n1', from + 999) }),
        );
      await s.saveSnapshot(snapshot(9_000, 1));
      await s.saveSnapshot(snapshot(total, 1));
      let compacted = false;
      const compaction = s.compact(total).then(() => {
        compacted = true;
      });
      await s.persist(ready({ entries: entries(total + 1, total + 1, 1) }));
      assert.equal(compacted, false, 'the write did not wait for the whole compaction');
      assert.ok(
        s.firstIndex() < 9_000,
        `only part compacted when the write was done: ${s.firstIndex()}`,
      );
      await compaction;
      // Compaction keeps the log back to the previous snapshot (9,000).
      assert.equal(s.firstIndex(), 9_001);
      assert.equal(s.lastIndex(), total + 1);
    });
    assert.deepEqual(await storedRange(dir), [9_001, total + 1]);
    const after = await restart(dir);
    assert.equal(after.initial.snapshot?.meta.index, total);
    assert.equal(after.first, 9_001);
    assert.equal(after.last, total + 1);
  }));

test('a compaction cut short by closing leaves a log that loads', () =>
  withDir(async (dir) => {
    await withNode(dir, async (s) => {
      await s.persist(ready({ entries: entries(1, total, 1), hardState: hard(1, 'n1', total) }));
      await s.saveSnapshot(snapshot(9_000, 1));
      await s.saveSnapshot(snapshot(total, 1));
      void s.compact(total).catch(() => undefined);
      await new Promise((r) => setImmediate(r));
    });
    const after = await restart(dir);
    const [low] = await storedRange(dir);
    assert.ok(low !== undefined && low > 1 && low <= 9_001, `first stored key ${String(low)}`);
    assert.equal(after.first, low);
    assert.equal(after.last, total);
    assert.equal(after.initial.snapshot?.meta.index, total);
  }));
