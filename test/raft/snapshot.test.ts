// Log compaction and InstallSnapshot on one node: Raft paper §7 (Figures 12 and 13).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RaftNode, type Snapshot } from '../../src/raft/index.ts';
import { enc } from './harness.ts';
import {
  direct,
  drain,
  drainAll,
  log,
  ofType,
  opts,
  out,
  raftError,
  send,
  voters,
} from './helpers.ts';

const three = voters('n1', 'n2', 'n3');

/** A single-voter leader of term 1 with entries 1 (no-op) .. 6, all applied. */
function soloWithSix() {
  const n = direct('n1', voters('n1'));
  n.raft.campaign();
  for (let i = 2; i <= 6; i++) n.raft.propose(enc(`e${i}`));
  drainAll(n);
  assert.equal(n.raft.status().applied, 6);
  return n;
}

test('the application snapshots an applied prefix and the log is compacted behind it', () => {
  // §7 / Figure 12: a snapshot replaces the committed entries up to lastIncludedIndex and records its term and configuration.
  const n = soloWithSix();
  const snap = n.raft.createSnapshot(4, enc('state@4'));
  assert.deepEqual(snap.meta, { index: 4, term: 1, config: voters('n1') });
  assert.equal(n.raft.status().firstIndex, 1, 'creating a snapshot does not compact by itself');
  n.raft.compact(4);
  const st = n.raft.status();
  assert.deepEqual([st.snapshotIndex, st.firstIndex, st.lastIndex], [4, 5, 6]);
  n.raft.propose(enc('e7'));
  assert.deepEqual(
    drainAll(n).flatMap((rd) => rd.committed.map((e) => e.index)),
    [7],
    'the log goes on past the compaction point',
  );
});

test('createSnapshot outside (last snapshot, applied] throws SNAPSHOT_OUT_OF_RANGE', () => {
  // §7: only state that the state machine has applied may be snapshotted, and snapshots only move forward.
  const n = soloWithSix();
  n.raft.propose(enc('unapplied')); // appended (index 7), not yet applied
  raftError(() => n.raft.createSnapshot(7, enc('x')), 'SNAPSHOT_OUT_OF_RANGE');
  raftError(() => n.raft.createSnapshot(0, enc('x')), 'SNAPSHOT_OUT_OF_RANGE');
  n.raft.createSnapshot(4, enc('x'));
  raftError(() => n.raft.createSnapshot(4, enc('x')), 'SNAPSHOT_OUT_OF_RANGE');
  raftError(() => n.raft.createSnapshot(3, enc('x')), 'SNAPSHOT_OUT_OF_RANGE');
  raftError(() => n.raft.compact(5), 'SNAPSHOT_OUT_OF_RANGE');
});

function chunk(
  n: ReturnType<typeof direct>,
  meta: Snapshot['meta'],
  whole: Uint8Array,
  offset: number,
  size: number,
): void {
  const end = Math.min(offset + size, whole.byteLength);
  send(n, 'snap', {
    from: 'n2',
    term: 3,
    meta,
    offset,
    totalBytes: whole.byteLength,
    data: whole.subarray(offset, end),
    done: end === whole.byteLength,
  });
}

test('a follower assembles chunks in order and installs the snapshot on the last one', () => {
  // §7 / Figure 13: chunks are written at their offsets; on done the snapshot replaces the log and the state machine is reset from it.
  const n = direct('n1', three, { term: 3 }, log(1, 1));
  const whole = enc('0123456789abcdefghijklmnopqrstuvwxy'); // 35 bytes
  const meta = { index: 9, term: 3, config: three };
  const asked: [number, boolean][] = [];
  for (let off = 0; off < whole.byteLength; off += 10) {
    chunk(n, meta, whole, off, 10);
    const rd = drain(n);
    const [r] = ofType(rd?.messages ?? [], 'snapResp');
    asked.push([r?.offset ?? -1, r?.done ?? false]);
    if (off + 10 < whole.byteLength) assert.equal(rd?.snapshot, null, 'not before the last chunk');
    else {
      assert.deepEqual(rd?.snapshot, { meta, data: whole });
      assert.equal(rd.hardState?.commit, 9);
    }
  }
  assert.deepEqual(asked, [
    [10, false],
    [20, false],
    [30, false],
    [35, true],
  ]);
  const st = n.raft.status();
  assert.deepEqual([st.snapshotIndex, st.lastIndex, st.commit, st.applied], [9, 9, 9, 9]);
  assert.deepEqual(n.storage.storedEntries(), [], 'the whole old log is discarded');
  const restarted = new RaftNode(opts('n1'), n.storage.initialState()).status();
  assert.deepEqual([restarted.snapshotIndex, restarted.applied, restarted.lastIndex], [9, 9, 9]);
});

test('a chunk at the wrong offset is answered with the offset the follower needs', () => {
  // §7 (chunked transfer): a lost or repeated chunk is detected by its offset, and the receiver asks for what it lacks.
  const n = direct('n1', three, { term: 3 });
  const whole = enc('x'.repeat(30));
  const meta = { index: 5, term: 3, config: three };
  chunk(n, meta, whole, 10, 10);
  assert.deepEqual(ofType(out(n), 'snapResp')[0]?.offset, 0, 'nothing held yet');
  chunk(n, meta, whole, 0, 10);
  out(n);
  chunk(n, meta, whole, 20, 10); // the chunk at 10 was lost
  const [r] = ofType(out(n), 'snapResp');
  assert.deepEqual([r?.offset, r?.done], [10, false]);
  chunk(n, meta, whole, 0, 10); // a duplicate of the first chunk
  assert.equal(ofType(out(n), 'snapResp')[0]?.offset, 10);
});

test('a snapshot whose last entry the follower already has keeps the entries after it', () => {
  // §7 / Figure 13 step 6: if an existing entry has the snapshot's last index and term, retain the log after it.
  const n = direct('n1', three, { term: 3 }, log(1, 1, 3, 3));
  chunk(n, { index: 2, term: 1, config: three }, enc('s'), 0, 10);
  const rd = drain(n);
  assert.equal(rd?.snapshot, null, 'nothing to restore');
  assert.deepEqual([n.raft.status().lastIndex, n.raft.status().commit], [4, 2]);
  assert.equal(ofType(rd.messages, 'snapResp')[0]?.done, true);
});

test('a snapshot that conflicts with the follower’s log replaces all of it', () => {
  // §7 / Figure 13 step 7: otherwise the entire log is discarded.
  const n = direct('n1', three, { term: 3 }, log(1, 1, 2, 2));
  const meta = { index: 3, term: 3, config: three };
  chunk(n, meta, enc('s'), 0, 10);
  const rd = drain(n);
  assert.deepEqual(rd?.snapshot?.meta, meta);
  assert.deepEqual([n.raft.status().lastIndex, n.raft.status().lastTerm], [3, 3]);
  assert.deepEqual(n.storage.storedEntries(), []);
});

test('a snapshot the follower has already committed past is acknowledged, not installed', () => {
  // §7: a snapshot older than the follower's committed state carries nothing new.
  const n = direct('n1', three, { term: 3, commit: 3 }, log(1, 1, 3));
  chunk(n, { index: 2, term: 1, config: three }, enc('old'), 0, 10);
  const rd = drain(n);
  assert.equal(rd?.snapshot, null);
  const [r] = ofType(rd?.messages ?? [], 'snapResp');
  assert.deepEqual([r?.done, r?.snapIndex], [true, 2]);
  assert.equal(n.raft.status().lastIndex, 3);
});
