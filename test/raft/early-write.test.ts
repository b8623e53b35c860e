// A leader pipelines its writes: entries proposed while a Ready is written are handed out by
// earlyReady(true, true) for a write of their own, reported with entriesStable(), and count
// towards a quorum only then. Writes complete in order; a report about entries the log no
// longer holds (rewritten while the write ran) changes nothing, and applies stay in order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RaftLog } from '../../src/raft/log.ts';
import { enc } from './harness.ts';
import { ackAt as ack, normal, ofType, send, term2Leader as leader } from './helpers.ts';

test('entries proposed during a write are handed out once, for a write of their own', () => {
  const n = leader();
  n.raft.propose(enc('a'));
  n.raft.ready(); // the write of a (and its appends) under way
  const b = n.raft.propose(enc('b'));
  const er = n.raft.earlyReady(true, true);
  assert.ok(er !== null);
  assert.deepEqual(
    er.entries.map((e) => e.index),
    [b],
  );
  assert.deepEqual(
    ofType(er.messages, 'app').map((m) => [m.to, m.entries.map((e) => e.index)]),
    [
      ['n2', [b]],
      ['n3', [b]],
    ],
    'the followers get b at once as well',
  );
  assert.equal(n.raft.earlyReady(true, true), null, 'handed out once');
  n.raft.advance();
  n.raft.entriesStable(b, 2);
  assert.equal(n.raft.hasReady(), false, 'b is not written again');
  const c = n.raft.propose(enc('c'));
  const rd = n.raft.ready();
  assert.deepEqual(
    rd.entries.map((e) => e.index),
    [c],
  );
  n.raft.advance();
});

test("a leader's early entries count towards a quorum only once reported on disk", () => {
  const n = leader();
  n.raft.propose(enc('a'));
  n.raft.ready();
  const b = n.raft.propose(enc('b'));
  const er = n.raft.earlyReady(true, true);
  assert.deepEqual(
    er?.entries.map((e) => e.index),
    [b],
  );
  n.raft.advance(); // a is on the leader's disk; b's write is still under way
  ack(n, 'n2', b);
  assert.equal(n.raft.status().commit, b - 1, 'one follower and a leader without b: no quorum');
  n.raft.entriesStable(b, 2);
  assert.equal(n.raft.status().commit, b, 'the leader and n2 hold b');
  const rd = n.raft.ready();
  assert.deepEqual(
    rd.committed.map((e) => e.index),
    [b - 1, b],
  );
  assert.equal(rd.stableIndex, b, 'both are on disk here: applied while this Ready is written');
});

test('a Ready made while an early write runs does not apply or vouch for its entries', () => {
  const n = leader();
  n.raft.propose(enc('a'));
  n.raft.ready();
  const b = n.raft.propose(enc('b'));
  n.raft.earlyReady(true, true);
  n.raft.advance();
  ack(n, 'n2', b);
  ack(n, 'n3', b); // committed by the followers alone
  const rd = n.raft.ready(); // no new entries: only the commit index changes
  assert.deepEqual(rd.entries, []);
  assert.ok(rd.committed.some((e) => e.index === b));
  assert.equal(rd.stableIndex, b - 1, 'b is not on this disk yet: it waits for the writes');
  n.raft.advance();
  const er = n.raft.earlyReady(false, false);
  assert.equal(er, null, 'no Ready in flight');
  // advance() of a Ready without entries said nothing about b: only its own report does.
  const c = n.raft.propose(enc('c'));
  const next = n.raft.ready();
  assert.equal(next.stableIndex, b - 1);
  assert.deepEqual(
    next.entries.map((e) => e.index),
    [c],
  );
});

test('while the Ready in flight holds committed entries that wait for its write, none is applied early', () => {
  const n = leader();
  n.raft.propose(enc('a'));
  n.raft.ready();
  const b = n.raft.propose(enc('b'));
  n.raft.earlyReady(true, true); // early write of b
  n.raft.advance();
  ack(n, 'n2', b);
  ack(n, 'n3', b);
  const rd = n.raft.ready(); // b is committed, waiting for the early write (and this one)
  assert.ok(rd.committed.some((e) => e.index === b) && rd.stableIndex < b);
  const c = n.raft.propose(enc('c'));
  n.raft.earlyReady(true, true); // early write of c
  n.raft.entriesStable(b, 2);
  n.raft.entriesStable(c, 2);
  ack(n, 'n2', c);
  assert.equal(n.raft.status().commit, c);
  const er = n.raft.earlyReady(true, true);
  assert.equal(er?.committed.length ?? 0, 0, 'c would be applied before b, which the Ready holds');
  n.raft.advance();
  const after = n.raft.ready();
  assert.deepEqual(
    after.committed.map((e) => e.index),
    [c],
  );
});

test('a write report about entries rewritten while it ran is ignored; a later one counts', () => {
  // Entries 1-5 of term 1 are stable; 6-9 of term 2 are handed out; then a new leader's
  // entries replace them from 7 before the write ends.
  const entries = [1, 1, 1, 1, 1].map((t, i) => normal(i + 1, t));
  const log = new RaftLog(0, 0, entries);
  for (let i = 6; i <= 9; i++) log.append(normal(i, 2));
  assert.deepEqual(
    log.handOut().map((e) => e.index),
    [6, 7, 8, 9],
  );
  log.truncateFrom(7, 5);
  log.append(normal(7, 3));
  log.markStable(9, 2);
  assert.equal(log.stableIndex(), 5, 'entry 9 is gone: the report says nothing about 7');
  assert.deepEqual(
    log.handOut().map((e) => e.index),
    [7],
    'the new entry is handed out on its own',
  );
  log.markStable(7, 3);
  assert.equal(log.stableIndex(), 7, 'writes complete in order: 6 landed before the new 7');
  log.markStable(6, 2);
  assert.equal(log.stableIndex(), 7, 'a late report never moves the stable index back');
});

test('a write report about an index that now holds another term is ignored, even once the replacement is handed out', () => {
  // 2-3 of term 1 are handed out; a new leader replaces them from 2 with 2-4 of term 2, and
  // those are handed out too, all before the first write reports. Index 3 is still in the log
  // and below the handed-out cursor: only its term tells that the report is stale.
  const log = new RaftLog(0, 0, [normal(1, 1)]);
  log.append(normal(2, 1));
  log.append(normal(3, 1));
  log.handOut();
  log.truncateFrom(2, 1);
  for (let i = 2; i <= 4; i++) log.append(normal(i, 2));
  assert.deepEqual(
    log.handOut().map((e) => [e.index, e.term]),
    [
      [2, 2],
      [3, 2],
      [4, 2],
    ],
  );
  log.markStable(3, 1);
  assert.equal(log.stableIndex(), 1, 'the disk still holds the old 2-3, not the new ones');
  log.markStable(4, 2);
  assert.equal(log.stableIndex(), 4);
});

test("a leader stepping down mid-write writes the new leader's entry; the report of its own old one claims nothing", () => {
  const n = leader();
  n.raft.propose(enc('a'));
  n.raft.ready();
  const b = n.raft.propose(enc('b'));
  n.raft.earlyReady(true, true);
  // A leader of term 3 replaces b.
  const other = normal(b, 3, 'other');
  send(n, 'app', {
    from: 'n3',
    term: 3,
    prevIndex: b - 1,
    prevTerm: 2,
    entries: [other],
    commit: 0,
  });
  n.raft.advance();
  n.raft.entriesStable(b, 2);
  assert.equal(n.raft.status().role, 'follower');
  const rd = n.raft.ready();
  assert.deepEqual(
    rd.entries.map((e) => [e.index, e.term]),
    [[b, 3]],
    "the new leader's entry is written; the old report did not claim it",
  );
  assert.equal(rd.stableIndex, b - 1, 'b of term 2 never counted as on disk');
});
