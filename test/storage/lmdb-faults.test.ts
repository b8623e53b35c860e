// Start-up against damaged DATA_DIRs: what is repaired (with a warning), what refuses to start.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  LmdbStorage,
  SnapshotStore,
  StorageCorruptError,
  StorageError,
  type StorageErrorCode,
} from '../../src/storage/index.ts';
import { damageSnapshot, flipInFile, lmdbPath, rawLmdb, restart, withNode } from './disk.ts';
import { CaptureLogger, entries, hard, normal, ready, snapshot, withDir } from './helpers.ts';

function refusal(code: StorageErrorCode, index: number | null, dir: string) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof StorageCorruptError, String(err));
    assert.equal(err.code, code, err.message);
    assert.equal(err.index, index, err.message);
    assert.ok(err.message.includes(dir), `message names DATA_DIR: ${err.message}`);
    return true;
  };
}

async function storedKeys(dir: string): Promise<number[]> {
  let keys: number[] = [];
  await rawLmdb(dir, (log) => {
    keys = [...log.getKeys()];
  });
  return keys;
}

/** Entries 1..n in term 1, commit at `commit`. */
const seedLog = (dir: string, n: number, commit: number) =>
  withNode(dir, (s) =>
    s.persist(ready({ entries: entries(1, n, 1), hardState: hard(1, 'n1', commit) })),
  );

test('a DATA_DIR of another node is refused, naming both ids', () =>
  withDir(async (dir) => {
    await seedLog(dir, 1, 0);
    await assert.rejects(
      LmdbStorage.open({ dataDir: dir, nodeId: 'n2', logger: new CaptureLogger() }),
      (err: unknown) =>
        err instanceof StorageError &&
        err.code === 'DATA_DIR_NODE_MISMATCH' &&
        err.message.includes('"n1"') &&
        err.message.includes('"n2"'),
    );
    assert.deepEqual((await restart(dir)).initial.entries, entries(1, 1, 1));
  }));

test('a torn last record after the commit index is truncated with a warning', () =>
  withDir(async (dir) => {
    await seedLog(dir, 5, 3);
    await rawLmdb(dir, (log) => {
      const whole = log.get(5);
      assert.ok(whole !== undefined);
      log.putSync(5, whole.subarray(0, whole.length - 3));
    });
    const logger = new CaptureLogger();
    const after = await restart(dir, logger);
    assert.deepEqual(after.initial.entries, entries(1, 4, 1));
    assert.equal(after.last, 4);
    assert.deepEqual(
      logger.warnings().map((w) => (w.obj as { index?: number }).index),
      [5],
    );
    // The truncation is durable: the next start is clean, and the log grows again.
    const clean = new CaptureLogger();
    assert.deepEqual((await restart(dir, clean)).initial.entries, entries(1, 4, 1));
    assert.equal(clean.warnings().length, 0);
    await withNode(dir, (s) => s.persist(ready({ entries: [normal(5, 2)] })));
    assert.equal((await restart(dir)).last, 5);
  }));

test('bit rot in the data file after the commit index truncates from the damaged entry', () =>
  withDir(async (dir) => {
    await seedLog(dir, 6, 3);
    assert.ok((await flipInFile(lmdbPath(dir), 'entry-5-1', 2)) > 0);
    const logger = new CaptureLogger();
    const after = await restart(dir, logger);
    assert.deepEqual(after.initial.entries, entries(1, 4, 1));
    assert.match(logger.warnings()[0]?.msg ?? '', /truncated/);
  }));

test('a damaged record at or below the commit index refuses to start, changing nothing', () =>
  withDir(async (dir) => {
    await seedLog(dir, 5, 5);
    assert.ok((await flipInFile(lmdbPath(dir), 'entry-3-1', 2)) > 0);
    await assert.rejects(restart(dir), refusal('LOG_CORRUPT', 3, dir));
    await assert.rejects(restart(dir), refusal('LOG_CORRUPT', 3, dir));
    assert.deepEqual(await storedKeys(dir), [1, 2, 3, 4, 5]);
  }));

test('a hole in the log below the commit index refuses to start', () =>
  withDir(async (dir) => {
    await seedLog(dir, 5, 4);
    await rawLmdb(dir, (log) => assert.ok(log.removeSync(3)));
    await assert.rejects(restart(dir), refusal('LOG_CORRUPT', 3, dir));
    assert.deepEqual(await storedKeys(dir), [1, 2, 4, 5]);
  }));

test('a commit index beyond the stored log refuses to start', () =>
  withDir(async (dir) => {
    await seedLog(dir, 5, 5);
    await rawLmdb(dir, (log) => assert.ok(log.removeSync(5)));
    await assert.rejects(restart(dir), refusal('LOG_CORRUPT', 5, dir));
  }));

test('a damaged hard state refuses to start', () =>
  withDir(async (dir) => {
    await seedLog(dir, 2, 1);
    await rawLmdb(dir, (_log, meta) => {
      const raw = meta.get('hardState');
      assert.ok(raw !== undefined);
      raw[raw.length - 1] = (raw[raw.length - 1] ?? 0) ^ 1;
      meta.putSync('hardState', raw);
    });
    await assert.rejects(restart(dir), refusal('HARD_STATE_CORRUPT', null, dir));
  }));

/** Entries 1..10 committed, snapshots at 4 and 8, compaction asked up to 8. */
const seedSnapshots = (dir: string, compact: boolean) =>
  withNode(dir, async (s) => {
    await s.persist(ready({ entries: entries(1, 10, 1), hardState: hard(1, 'n1', 10) }));
    await s.saveSnapshot(snapshot(4, 1));
    await s.saveSnapshot(snapshot(8, 1));
    if (compact) await s.compact(8);
  });

test('a damaged newest snapshot falls back to the previous one and the log after it', () =>
  withDir(async (dir) => {
    await seedSnapshots(dir, true);
    await damageSnapshot(dir, 8);
    const logger = new CaptureLogger();
    const after = await restart(dir, logger);
    assert.deepEqual(after.initial.snapshot, snapshot(4, 1));
    assert.deepEqual(after.initial.entries, entries(5, 10, 1));
    assert.ok(logger.warnings().length >= 2, JSON.stringify(logger.lines));
    const quarantined = join(
      dir,
      'snapshots',
      `${'1'.padStart(20, '0')}-${'8'.padStart(20, '0')}.snap.corrupt`,
    );
    assert.ok(existsSync(quarantined));
    const clean = new CaptureLogger();
    assert.deepEqual((await restart(dir, clean)).initial.snapshot, snapshot(4, 1));
    assert.equal(clean.warnings().length, 0);
  }));

test('both snapshots damaged after compaction: refuses to start', () =>
  withDir(async (dir) => {
    await seedSnapshots(dir, true);
    await damageSnapshot(dir, 8);
    await damageSnapshot(dir, 4);
    await assert.rejects(restart(dir), refusal('SNAPSHOT_UNRECOVERABLE', 4, dir));
  }));

test('both snapshots damaged but the log complete from index 1: starts from the log', () =>
  withDir(async (dir) => {
    await seedSnapshots(dir, false);
    await damageSnapshot(dir, 8);
    await damageSnapshot(dir, 4);
    const logger = new CaptureLogger();
    const after = await restart(dir, logger);
    assert.equal(after.initial.snapshot, null);
    assert.deepEqual(after.initial.entries, entries(1, 10, 1));
    assert.match(logger.warnings().at(-1)?.msg ?? '', /complete log/);
  }));

test('a damaged leader snapshot refuses to start (the log it replaced is gone)', () =>
  withDir(async (dir) => {
    await seedLog(dir, 3, 2);
    await withNode(dir, (s) =>
      s.persist(
        ready({ snapshot: snapshot(7, 2), entries: entries(8, 9, 2), hardState: hard(2, null, 8) }),
      ),
    );
    await damageSnapshot(dir, 7);
    await assert.rejects(restart(dir), refusal('SNAPSHOT_UNRECOVERABLE', 7, dir));
  }));

test("a crash between a leader snapshot's file and its log discard", () =>
  withDir(async (dir) => {
    await seedLog(dir, 5, 2);
    const store = await SnapshotStore.open(join(dir, 'snapshots'), new CaptureLogger());
    // Same term at index 4: the log continues the snapshot and is kept after it.
    await store.write(snapshot(4, 1));
    const kept = await restart(dir);
    assert.deepEqual(kept.initial.entries, entries(5, 5, 1));
    // Another term at index 4: the stored log diverged from the leader's and is dropped.
    await store.write(snapshot(4, 2));
    const dropped = await restart(dir);
    assert.deepEqual(dropped.initial.snapshot, snapshot(4, 2));
    assert.deepEqual(dropped.initial.entries, []);
    assert.equal(dropped.last, 4);
    await withNode(dir, (s) => s.persist(ready({ entries: entries(5, 5, 2) })));
    assert.deepEqual((await restart(dir)).initial.entries, entries(5, 5, 2));
  }));
