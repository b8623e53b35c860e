// One behavioural suite for every DurableRaftStorage: what the core and the driver rely on.
// A harness opens storages on one "disk"; opening again after close() is a restart.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RaftInvariantError, type Config, type InitialState } from '../../src/raft/index.ts';
import { StorageError, type DurableRaftStorage } from '../../src/storage/index.ts';
import { confEntry, config3, entries, hard, normal, ready, snapshot } from './helpers.ts';

export interface StorageHarness {
  /** A storage on this harness's disk, already load()ed; returns it with what load() gave. */
  open(): Promise<{ storage: DurableRaftStorage; initial: InitialState }>;
  cleanup(): Promise<void>;
}

export type HarnessFactory = (opts: { bootstrap?: Config }) => Promise<StorageHarness>;

export function storageCompliance(name: string, factory: HarnessFactory): void {
  /** Runs `body` on a fresh disk; `reopen` closes the given storage and loads the disk again. */
  async function withDisk(
    body: (
      s: DurableRaftStorage,
      reopen: (s: DurableRaftStorage) => Promise<[DurableRaftStorage, InitialState]>,
      h: StorageHarness,
    ) => Promise<DurableRaftStorage>,
    bootstrap?: Config,
  ): Promise<void> {
    const h = await factory(bootstrap === undefined ? {} : { bootstrap });
    try {
      const reopen = async (s: DurableRaftStorage): Promise<[DurableRaftStorage, InitialState]> => {
        await s.close();
        const next = await h.open();
        return [next.storage, next.initial];
      };
      const last = await body((await h.open()).storage, reopen, h);
      await last.close();
    } finally {
      await h.cleanup();
    }
  }

  describe(`${name}: storage compliance`, () => {
    test('a fresh disk loads an empty state', () =>
      withDisk(async (s, reopen) => {
        const [s2, st] = await reopen(s);
        assert.deepEqual(st, { hardState: hard(0, null, 0), snapshot: null, entries: [] });
        assert.equal(s2.firstIndex(), 1);
        assert.equal(s2.lastIndex(), 0);
        await s2.persist(ready({})); // a Ready with nothing to store still resolves
        return s2;
      }));

    test('appended entries (normal and conf) come back identical after a restart', () =>
      withDisk(async (s, reopen) => {
        const log = [...entries(1, 3, 1), confEntry(4, 1), normal(5, 1)];
        await s.persist(ready({ entries: log.slice(0, 2) }));
        await s.persist(ready({ entries: log.slice(2) }));
        assert.equal(s.lastIndex(), 5);
        const [s2, st] = await reopen(s);
        assert.deepEqual(st.entries, log);
        assert.equal(s2.firstIndex(), 1);
        assert.equal(s2.lastIndex(), 5);
        return s2;
      }));

    test('entries overwrite a conflicting suffix from entries[0].index', () =>
      withDisk(async (s, reopen) => {
        await s.persist(ready({ entries: entries(1, 5, 1) }));
        await s.persist(ready({ entries: entries(3, 4, 2) }));
        assert.equal(s.lastIndex(), 4);
        const [s2, st] = await reopen(s);
        assert.deepEqual(st.entries, [...entries(1, 2, 1), ...entries(3, 4, 2)]);
        await s2.persist(ready({ entries: entries(5, 6, 3) }));
        const [s3, st3] = await reopen(s2);
        assert.deepEqual(
          st3.entries.map((e) => e.term),
          [1, 1, 2, 2, 3, 3],
        );
        return s3;
      }));

    test('an append that would leave a gap is refused and changes nothing', () =>
      withDisk(async (s, reopen) => {
        await s.persist(ready({ entries: entries(1, 2, 1) }));
        await assert.rejects(s.persist(ready({ entries: entries(4, 4, 1) })), RaftInvariantError);
        await s.persist(ready({ entries: entries(3, 3, 1) }));
        const [s2, st] = await reopen(s);
        assert.deepEqual(st.entries, entries(1, 3, 1));
        return s2;
      }));

    test('hard state is stored alone and together with entries', () =>
      withDisk(async (s, reopen) => {
        await s.persist(ready({ hardState: hard(3, 'n2', 0) }));
        const [s2, st] = await reopen(s);
        assert.deepEqual(st.hardState, hard(3, 'n2', 0));
        await s2.persist(ready({ entries: entries(1, 2, 3), hardState: hard(4, null, 2) }));
        const [s3, st3] = await reopen(s2);
        assert.deepEqual(st3.hardState, hard(4, null, 2));
        assert.deepEqual(st3.entries, entries(1, 2, 3));
        return s3;
      }));

    test("a leader's snapshot replaces the whole log", () =>
      withDisk(async (s, reopen) => {
        await s.persist(ready({ entries: entries(1, 5, 1), hardState: hard(1, 'n1', 3) }));
        const snap = snapshot(7, 2);
        await s.persist(
          ready({ snapshot: snap, entries: entries(8, 9, 2), hardState: hard(2, null, 7) }),
        );
        assert.equal(s.firstIndex(), 8);
        assert.equal(s.lastIndex(), 9);
        const [s2, st] = await reopen(s);
        assert.deepEqual(st.snapshot, snap);
        assert.deepEqual(st.entries, entries(8, 9, 2));
        assert.deepEqual(st.hardState, hard(2, null, 7));
        await assert.rejects(s2.persist(ready({ snapshot: snapshot(6, 2) })), RaftInvariantError);
        return s2;
      }));

    test('entry() reads back what persist wrote, the overwritten suffix and compaction included', () =>
      withDisk(async (s) => {
        assert.equal(s.entry(1), undefined, 'nothing stored yet');
        const log = [...entries(1, 3, 1), confEntry(4, 1), normal(5, 1)];
        await s.persist(ready({ entries: log }));
        for (const e of log) assert.deepEqual(s.entry(e.index), e);
        assert.equal(s.entry(6), undefined, 'beyond the end');
        await s.persist(ready({ entries: entries(4, 4, 2) }));
        assert.deepEqual(s.entry(4), entries(4, 4, 2)[0]);
        assert.equal(s.entry(5), undefined, 'the old suffix is gone');
        await s.saveSnapshot(snapshot(3, 1));
        await s.compact(3);
        // An implementation may keep more than asked (see compact()), never less.
        assert.deepEqual(s.entry(4), entries(4, 4, 2)[0]);
        return s;
      }));

    test('a local snapshot keeps the log; compaction keeps what follows the snapshot', () =>
      withDisk(async (s, reopen) => {
        await s.persist(ready({ entries: entries(1, 10, 1), hardState: hard(1, 'n1', 10) }));
        await s.saveSnapshot(snapshot(4, 1));
        await s.saveSnapshot(snapshot(6, 1));
        await s.compact(6);
        assert.ok(s.firstIndex() <= 7, `first index ${s.firstIndex()}`);
        await assert.rejects(s.compact(7), RaftInvariantError);
        const [s2, st] = await reopen(s);
        assert.deepEqual(st.snapshot, snapshot(6, 1));
        assert.deepEqual(st.entries, entries(7, 10, 1));
        assert.equal(s2.lastIndex(), 10);
        await s2.persist(ready({ entries: entries(11, 11, 1) }));
        const [s3, st3] = await reopen(s2);
        assert.deepEqual(st3.entries, entries(7, 11, 1));
        const listed = await s3.listSnapshots();
        assert.deepEqual(listed[0] && [listed[0].index, listed[0].term], [6, 1]);
        return s3;
      }));

    test('a restart gives an identical initial state, including the bootstrap config', () =>
      withDisk(async (s, reopen) => {
        await s.persist(ready({ entries: entries(1, 4, 1), hardState: hard(1, 'n1', 2) }));
        await s.saveSnapshot(snapshot(2, 1));
        await s.persist(ready({ entries: [confEntry(5, 2)], hardState: hard(2, 'n3', 4) }));
        const [s2, first] = await reopen(s);
        assert.deepEqual(first.bootstrapConfig, config3);
        const [s3, second] = await reopen(s2);
        assert.deepEqual(second, first);
        return s3;
      }, config3));

    test('once persist resolves, a second open of the disk sees it', () =>
      withDisk(async (s, _reopen, h) => {
        for (let i = 1; i <= 3; i++) {
          await s.persist(ready({ entries: [normal(i, 1)], hardState: hard(1, 'n1', i - 1) }));
          const other = await h.open();
          assert.deepEqual(other.initial.entries, entries(1, i, 1));
          assert.deepEqual(other.initial.hardState, hard(1, 'n1', i - 1));
          await other.storage.close();
        }
        return s;
      }));

    test('concurrent persists take effect in call order', () =>
      withDisk(async (s, reopen) => {
        const calls = [
          s.persist(ready({ entries: entries(1, 3, 1), hardState: hard(1, 'n1', 0) })),
          s.persist(ready({ entries: entries(2, 2, 2), hardState: hard(2, null, 1) })),
          s.persist(ready({ entries: entries(3, 4, 2) })),
        ];
        for (let i = 5; i <= 64; i++) calls.push(s.persist(ready({ entries: [normal(i, 2)] })));
        await Promise.all(calls);
        const [s2, st] = await reopen(s);
        assert.deepEqual(st.entries, [normal(1, 1), ...entries(2, 64, 2)]);
        assert.deepEqual(st.hardState, hard(2, null, 1));
        return s2;
      }));

    test('a leader snapshot and the appends after it, issued together, apply in order', () =>
      withDisk(async (s, reopen) => {
        await s.persist(ready({ entries: entries(1, 3, 1) }));
        const snap = snapshot(70, 2);
        await Promise.all([
          s.persist(
            ready({ snapshot: snap, entries: [normal(71, 2)], hardState: hard(2, null, 70) }),
          ),
          s.persist(ready({ entries: [normal(72, 2)] })),
          s.persist(ready({ entries: [normal(72, 3), normal(73, 3)] })),
        ]);
        const [s2, st] = await reopen(s);
        assert.deepEqual(st.snapshot, snap);
        assert.deepEqual(st.entries, [normal(71, 2), normal(72, 3), normal(73, 3)]);
        return s2;
      }));

    test('a closed storage refuses writes', () =>
      withDisk(async (s, reopen) => {
        const [s2] = await reopen(s);
        await s2.close();
        await assert.rejects(
          s2.persist(ready({ entries: entries(1, 1, 1) })),
          (err: unknown) => err instanceof StorageError && err.code === 'STORAGE_CLOSED',
        );
        return s2;
      }));
  });
}
