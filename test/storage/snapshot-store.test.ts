import assert from 'node:assert/strict';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { SnapshotStore } from '../../src/storage/index.ts';
import { CaptureLogger, snapshot, tempDir } from './helpers.ts';

async function withStore(body: (store: SnapshotStore, dir: string) => Promise<void>) {
  const tmp = await tempDir();
  try {
    const dir = join(tmp.path, 'snapshots');
    await body(await SnapshotStore.open(dir, new CaptureLogger()), dir);
  } finally {
    await tmp.remove();
  }
}

test('snapshots round-trip, listed newest first with zero-padded names', () =>
  withStore(async (store, dir) => {
    await store.write(snapshot(9, 1));
    await store.write(snapshot(12, 2));
    const listed = await store.list();
    assert.deepEqual(
      listed.map((f) => [f.index, f.term]),
      [
        [12, 2],
        [9, 1],
      ],
    );
    assert.equal(listed[0]?.path, join(dir, '00000000000000000002-00000000000000000012.snap'));
    const first = listed[0];
    assert.ok(first !== undefined);
    assert.deepEqual(await store.read(first), snapshot(12, 2));
  }));

test('only the newest two are kept', () =>
  withStore(async (store, dir) => {
    for (const i of [3, 6, 9, 12]) await store.write(snapshot(i, 1));
    assert.deepEqual(
      (await store.list()).map((f) => f.index),
      [12, 9],
    );
    assert.equal((await readdir(dir)).length, 2);
  }));

test('damage of any kind is detected on read', () =>
  withStore(async (store) => {
    await store.write(snapshot(5, 1));
    const [file] = await store.list();
    assert.ok(file !== undefined);
    const good = await readFile(file.path);
    const cases: [string, Buffer, RegExp][] = [
      ['flipped data bit', flip(good, good.length - 1), /checksum/],
      ['flipped meta bit', flip(good, 60), /checksum/],
      ['flipped length', flip(good, 15), /size mismatch/],
      ['truncated', good.subarray(0, good.length - 4), /size mismatch/],
      ['header only', good.subarray(0, 20), /truncated/],
      ['bad magic', flip(good, 0), /magic/],
    ];
    for (const [what, bytes, reason] of cases) {
      await writeFile(file.path, bytes);
      await assert.rejects(store.read(file), reason, what);
    }
  }));

test('a file renamed to another index is rejected', () =>
  withStore(async (store, dir) => {
    await store.write(snapshot(5, 1));
    const [file] = await store.list();
    assert.ok(file !== undefined);
    await rename(file.path, join(dir, '00000000000000000001-00000000000000000006.snap'));
    const [moved] = await store.list();
    assert.ok(moved !== undefined);
    await assert.rejects(store.read(moved), /does not match/);
  }));

test('loadNewestValid falls back past damaged files and quarantines them', () =>
  withStore(async (store, dir) => {
    await store.write(snapshot(5, 1));
    await store.write(snapshot(7, 1));
    const [newest] = await store.list();
    assert.ok(newest !== undefined);
    await writeFile(newest.path, flip(await readFile(newest.path), 70));
    const loaded = await store.loadNewestValid();
    assert.deepEqual(loaded.snapshot, snapshot(5, 1));
    assert.deepEqual(
      loaded.rejected.map((r) => r.file.index),
      [7],
    );
    assert.ok((await readdir(dir)).includes(`${newest.path.slice(dir.length + 1)}.corrupt`));
    assert.deepEqual(
      (await store.list()).map((f) => f.index),
      [5],
    );
  }));

test('unfinished *.tmp files are removed when the store opens', () =>
  withStore(async (store, dir) => {
    await store.write(snapshot(5, 1));
    await writeFile(join(dir, '00000000000000000001-00000000000000000009.snap.tmp'), 'half');
    const reopened = await SnapshotStore.open(dir, new CaptureLogger());
    assert.deepEqual(await readdir(dir), ['00000000000000000001-00000000000000000005.snap']);
    assert.deepEqual(
      (await reopened.list()).map((f) => f.index),
      [5],
    );
  }));

function flip(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] = (copy[at] ?? 0) ^ 0x10;
  return copy;
}
