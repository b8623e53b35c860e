// A core with a LogReader keeps only recent entries in memory (RaftNode.setLogReader): older
// ones, applied and on disk, are read back from storage when a lagging follower, a snapshot or
// a term lookup needs them. Nothing observable may change but the memory held.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RaftLog } from '../../src/raft/log.ts';
import { MemoryStorage } from '../../src/raft/index.ts';
import { enc } from './harness.ts';
import { direct, drainAll, log, ofType, out, send, voters } from './helpers.ts';

/** A log of `n` entries of term 1, all on disk in `disk`, read back through it. */
function loggedOnDisk(n: number): { rl: RaftLog; disk: MemoryStorage } {
  const disk = new MemoryStorage();
  const entries = log(...Array.from({ length: n }, () => 1));
  disk.append(entries);
  const rl = new RaftLog(0, 0, entries);
  rl.setReader(disk);
  return { rl, disk };
}

test('forgotten entries read back from the disk: at, termAt, slice and compaction agree', () => {
  const { rl, disk } = loggedOnDisk(10);
  rl.forget(6);
  assert.equal(rl.inMemoryFrom(), 7);
  assert.equal(rl.firstIndex(), 1);
  assert.equal(rl.lastIndex(), 10);
  assert.deepEqual(rl.at(3), disk.entry(3));
  assert.equal(rl.termAt(6), 1);
  assert.deepEqual(
    rl.slice(5, 8, 10, 1 << 20).map((e) => e.index),
    [5, 6, 7, 8],
    'a slice spans the disk and memory',
  );
  // Compaction below the in-memory window moves only the compaction point.
  rl.compact(4);
  assert.equal(rl.firstIndex(), 5);
  assert.equal(rl.inMemoryFrom(), 7);
  assert.equal(rl.termAt(4), 1, 'the compaction point keeps its term');
  assert.throws(() => rl.at(4), /not in memory/);
  // Compaction past it drops memory too.
  rl.compact(8);
  assert.deepEqual([rl.firstIndex(), rl.inMemoryFrom(), rl.lastIndex()], [9, 9, 10]);
});

test('only stable entries may be forgotten; a forgotten entry missing on disk is an invariant', () => {
  const disk = new MemoryStorage();
  const rl = new RaftLog(0, 0, []);
  rl.setReader(disk);
  for (const e of log(1, 1, 1, 1)) rl.append(e);
  assert.throws(() => rl.forget(2), /beyond stable/);
  const written = rl.handOut();
  disk.append(written.slice(0, 2)); // a disk that lost entries 3 and 4
  rl.markStable(4, 1);
  rl.forget(4);
  assert.equal(rl.at(2).index, 2);
  assert.throws(() => rl.at(3), /missing from the disk/);
  assert.throws(() => rl.truncateFrom(4, 2), /forgotten/);
});

test('setLogReader refuses a window that is not a non-negative integer', () => {
  const n = direct('n1', voters('n1'));
  for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])
    assert.throws(() => n.raft.setLogReader(n.storage, bad), /keepEntries must be/);
  assert.equal(n.raft.inMemoryFrom(), 1, 'nothing changed');
});

test('without a reader nothing is forgotten', () => {
  const rl = new RaftLog(0, 0, log(1, 1, 1));
  rl.markStable(3, 1);
  rl.forget(3);
  assert.equal(rl.inMemoryFrom(), 1);
});

test('a leader keeps a short window and serves a lagging follower from its disk', () => {
  const three = voters('n1', 'n2', 'n3');
  const n1 = direct('n1', three);
  n1.raft.setLogReader(n1.storage, 2);
  n1.raft.campaign();
  const pre = n1.raft.status().term + 1;
  for (const from of ['n2', 'n3']) send(n1, 'preVoteResp', { from, term: pre, granted: true });
  const term = n1.raft.status().term;
  for (const from of ['n2', 'n3']) send(n1, 'voteResp', { from, term, granted: true });
  drainAll(n1);
  const ack = (from: string, index: number): void => {
    send(n1, 'appResp', { from, term, success: true, index, hintIndex: 0, hintTerm: 0 });
    drainAll(n1);
  };
  // n3 matches the leader's first entry, then stops answering; n2 keeps up.
  ack('n3', n1.raft.status().lastIndex);
  for (let i = 0; i < 40; i++) {
    n1.raft.propose(enc(`v${i}`));
    drainAll(n1);
    ack('n2', n1.raft.status().lastIndex);
  }
  const st = n1.raft.status();
  assert.equal(st.applied, st.lastIndex, 'everything committed with n2');
  assert.ok(
    n1.raft.inMemoryFrom() > st.lastIndex - 10,
    `only recent entries in memory (from ${n1.raft.inMemoryFrom()} of ${st.lastIndex})`,
  );
  // n3 comes back having lost what followed its match: the leader walks back and sends the
  // entries after it, read from its disk (there is no snapshot to send instead).
  send(n1, 'appResp', {
    from: 'n3',
    term,
    success: false,
    index: st.lastIndex - 1,
    hintIndex: 1,
    hintTerm: 0,
  });
  const appends = ofType(out(n1), 'app').filter((m) => m.to === 'n3');
  assert.ok(appends.length > 0, 'the leader sends n3 entries');
  const first = appends[0]?.entries[0];
  assert.ok(first !== undefined && first.index < n1.raft.inMemoryFrom(), 'an entry from disk');
  assert.deepEqual(first, n1.storage.entry(first.index), 'the entry as stored');
  assert.equal(ofType(out(n1), 'snap').length, 0);
});
