// The leader writes its own log in parallel with replication (thesis §10.2.1): its appends may
// leave before its disk write finishes, and its own entries count towards a quorum only once
// that write is done. Proposals and responses between two Ready values share one append per
// follower, which also carries the newest commit index.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { enc } from './harness.ts';
import { direct, drain, ofType, send, voters, ackAt, term2Leader } from './helpers.ts';

const ack = ackAt;
const leader = term2Leader;

test('a leader’s Ready lets its appends go out before its own write', () => {
  // §10.2.1: the leader may send AppendEntries for entries it has not yet written to its disk.
  const n = leader();
  const index = n.raft.propose(enc('x'));
  const rd = n.raft.ready();
  assert.equal(rd.sendBeforePersist, true);
  assert.deepEqual(
    rd.entries.map((e) => e.index),
    [index],
    'the entry is still to be written',
  );
  assert.deepEqual(
    ofType(rd.messages, 'app').map((m) => [m.to, m.entries.map((e) => e.index)]),
    [
      ['n2', [index]],
      ['n3', [index]],
    ],
  );
  n.raft.advance();
});

test('a follower’s acknowledgement waits for its write', () => {
  // §5.3 and Figure 2: a follower answers AppendEntries only with entries on stable storage.
  const f = direct('n2', voters('n1', 'n2', 'n3'), { term: 2 });
  const entry = { type: 'normal' as const, term: 2, index: 1, data: enc('x') };
  send(f, 'app', { from: 'n1', term: 2, prevIndex: 0, prevTerm: 0, entries: [entry], commit: 0 });
  const rd = f.raft.ready();
  assert.equal(rd.sendBeforePersist, false);
  assert.deepEqual(
    ofType(rd.messages, 'appResp').map((m) => m.index),
    [1],
  );
  f.raft.advance();
});

test('a candidate’s vote requests wait for its term and vote to be written', () => {
  // §5.2 and Figure 2: currentTerm and votedFor are persisted before the node responds or asks.
  const n = direct('n1', voters('n1', 'n2', 'n3'), {}, [], { preVote: false });
  n.raft.campaign();
  const rd = n.raft.ready();
  assert.equal(rd.sendBeforePersist, false);
  assert.equal(ofType(rd.messages, 'vote').length, 2);
  n.raft.advance();
});

test('the leader’s entry counts towards commitment only once it is written', () => {
  // §10.2.1: the leader counts itself in the majority only for entries on its own disk.
  const n = leader();
  const index = n.raft.propose(enc('x'));
  n.raft.ready(); // the write is under way
  ack(n, 'n2', index);
  assert.equal(n.raft.status().commit, 1, 'one follower plus an unwritten leader entry');
  n.raft.advance(); // the write finished
  assert.equal(n.raft.status().commit, index);
  const rd = drain(n);
  assert.deepEqual(
    rd?.committed.map((e) => e.index),
    [index],
  );
});

test('a majority of followers commits an entry the leader is still writing', () => {
  // §10.2.1: a majority of servers other than the leader is enough; the leader's own write can finish later.
  const n = leader();
  const index = n.raft.propose(enc('x'));
  n.raft.ready();
  ack(n, 'n2', index);
  ack(n, 'n3', index);
  assert.equal(n.raft.status().commit, index);
  n.raft.advance();
});

test('proposals between two Ready values share one AppendEntries per follower', () => {
  // §10.2.1 batching: the leader sends every new entry to a follower in one message.
  const n = leader();
  const first = n.raft.propose(enc('a'));
  for (const x of ['b', 'c', 'd']) n.raft.propose(enc(x));
  const apps = ofType(drain(n)?.messages ?? [], 'app');
  assert.deepEqual(
    apps.map((m) => [m.to, m.prevIndex, m.entries.length]),
    [
      ['n2', first - 1, 4],
      ['n3', first - 1, 4],
    ],
  );
});

test('a commit advance reaches each follower once, in the next Ready', () => {
  // §5.3: the leader includes the commit index in later AppendEntries; one per follower per Ready.
  const n = leader();
  const index = n.raft.propose(enc('x'));
  drain(n);
  ack(n, 'n2', index);
  ack(n, 'n3', index);
  const apps = ofType(drain(n)?.messages ?? [], 'app');
  assert.deepEqual(
    apps.map((m) => [m.to, m.entries.length, m.commit]),
    [
      ['n2', 0, index],
      ['n3', 0, index],
    ],
  );
  assert.equal(drain(n), null, 'nothing more is owed');
});

test('a snapshot may cover entries the driver applied from the Ready it is writing', () => {
  // §7: only applied state is snapshotted; a driver applies committed entries of the Ready in flight.
  const n = direct('n1', voters('n1'));
  n.raft.campaign();
  drain(n);
  const index = n.raft.propose(enc('x'));
  drain(n);
  const rd = n.raft.ready();
  assert.deepEqual(
    rd.committed.map((e) => e.index),
    [index],
  );
  assert.equal(n.raft.status().applied, index - 1, 'not advanced yet');
  assert.equal(n.raft.createSnapshot(index, enc('state')).meta.index, index);
  n.raft.advance();
});
