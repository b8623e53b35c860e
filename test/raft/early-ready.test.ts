// While a leader's Ready is being written, earlyReady() hands out what need not wait for that
// write: committed entries an earlier Ready made durable (a follower's answer committed them),
// and, when asked, appends for entries proposed meanwhile. Entries of the write in flight are
// never handed out as committed, and a node that stopped leading gets nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { enc } from './harness.ts';
import { direct, ofType, send, voters, ackAt, term2Leader } from './helpers.ts';

const ack = ackAt;
const leader = term2Leader;

test('a commit learned during a write is applied before the write ends', () => {
  const n = leader();
  const a = n.raft.propose(enc('a'));
  n.raft.ready();
  n.raft.advance(); // entry a is on the leader's disk, not yet committed
  const b = n.raft.propose(enc('b'));
  const rd = n.raft.ready(); // the write of b is under way
  assert.deepEqual(
    rd.entries.map((e) => e.index),
    [b],
  );
  assert.equal(n.raft.earlyReady(false), null, 'nothing committed yet');
  ack(n, 'n2', a);
  const er = n.raft.earlyReady(false);
  assert.ok(er !== null);
  assert.deepEqual(
    er.committed.map((e) => e.index),
    [a],
  );
  assert.equal(n.raft.earlyReady(false), null, 'handed out once');
  n.raft.advance();
  const next = n.raft.ready();
  assert.ok(
    next.committed.every((e) => e.index > a),
    'the next Ready does not hand it out again',
  );
  n.raft.advance();
});

test('entries of the write in flight are not applied early, even when both followers have them', () => {
  const n = leader();
  const a = n.raft.propose(enc('a'));
  n.raft.ready(); // the write of a is under way
  ack(n, 'n2', a);
  ack(n, 'n3', a);
  assert.equal(n.raft.status().commit, a, 'a majority without the leader committed it');
  assert.equal(n.raft.earlyReady(false)?.committed.length ?? 0, 0, 'not on this disk yet');
  n.raft.advance();
  const rd = n.raft.ready();
  assert.deepEqual(
    rd.committed.map((e) => e.index),
    [a],
  );
  n.raft.advance();
});

test('appends for entries proposed during a write go out early only when asked', () => {
  const n = leader();
  n.raft.propose(enc('a'));
  n.raft.ready();
  const b = n.raft.propose(enc('b'));
  assert.equal(n.raft.earlyReady(false), null, 'without sendAppends the append waits');
  const er = n.raft.earlyReady(true);
  assert.ok(er !== null);
  assert.deepEqual(
    ofType(er.messages, 'app').map((m) => [m.to, m.entries.map((e) => e.index)]),
    [
      ['n2', [b]],
      ['n3', [b]],
    ],
  );
  n.raft.advance();
  const rd = n.raft.ready();
  assert.deepEqual(
    rd.entries.map((e) => e.index),
    [b],
    'b is still written by the next Ready',
  );
  assert.equal(ofType(rd.messages, 'app').filter((m) => m.entries.length > 0).length, 0);
  n.raft.advance();
});

test('nothing is handed out without a Ready in flight, or after losing leadership', () => {
  const n = leader();
  assert.equal(n.raft.earlyReady(true), null, 'no Ready in flight');
  const a = n.raft.propose(enc('a'));
  n.raft.ready();
  n.raft.advance();
  n.raft.propose(enc('b'));
  n.raft.ready();
  // A higher term: the leader steps down while its write runs.
  send(n, 'app', { from: 'n3', term: 3, prevIndex: 0, prevTerm: 0, entries: [], commit: 0 });
  ack(n, 'n2', a);
  assert.equal(n.raft.earlyReady(true), null);
  n.raft.advance();
});

test('a follower never gets an early Ready', () => {
  const f = direct('n2', voters('n1', 'n2', 'n3'), { term: 2 });
  const entry = { type: 'normal' as const, term: 2, index: 1, data: enc('x') };
  send(f, 'app', { from: 'n1', term: 2, prevIndex: 0, prevTerm: 0, entries: [entry], commit: 0 });
  f.raft.ready();
  send(f, 'app', { from: 'n1', term: 2, prevIndex: 1, prevTerm: 2, entries: [], commit: 1 });
  assert.equal(f.raft.earlyReady(true), null);
  f.raft.advance();
});
