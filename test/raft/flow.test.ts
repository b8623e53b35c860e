// How the leader moves entries (§5.3 and thesis §10.2.1 batching and pipelining): fast backtracking
// of nextIndex, message size limits, the in-flight window, and recovery of a lost AppendEntries.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Entry, Message } from '../../src/raft/index.ts';
import { Cluster, enc } from './harness.ts';
import {
  direct,
  drain,
  elect,
  log,
  normal,
  ofType,
  out,
  pump,
  send,
  storageWith,
  termsOf,
  traced,
  voters,
} from './helpers.ts';

const three = voters('n1', 'n2', 'n3');
const repeat = (n: number, term: number): number[] => Array.from({ length: n }, () => term);

test('fast backtracking skips a whole divergent term in one round trip', () => {
  // §5.3 (optimization): with the conflicting term and its first index in the rejection, the leader skips all conflicting entries of that term at once.
  const leaderLog = [...repeat(50, 1), ...repeat(150, 3)];
  const followerLog = [...repeat(50, 1), ...repeat(50, 2)]; // 100 behind, divergent tail of 50
  const lfx = voters('L', 'F', 'X');
  const c = new Cluster([]);
  c.addNode('L', storageWith(lfx, { term: 3 }, log(...leaderLog)));
  c.addNode('F', storageWith(lfx, { term: 2 }, log(...followerLog)));
  c.addNode('X', storageWith(lfx, { term: 3 }, log(...leaderLog)));
  c.node('L').raft.campaign();
  c.settle();
  assert.equal(c.leader(), 'L');
  const rejections = traced(c, 'appResp', (m) => m.from === 'F' && !m.success);
  assert.ok(rejections.length >= 1 && rejections.length <= 2, `${rejections.length} rejections`);
  assert.ok(traced(c, 'app', (m) => m.to === 'F').length <= 4, 'a handful of AppendEntries');
  assert.deepEqual(termsOf(c.node('F').storage.storedEntries()), [...leaderLog, 4]);
});

test('the follower’s hint points below its conflicting term', () => {
  // §5.3 (optimization): the rejection names the follower's last index whose term is at most prevLogTerm, so the leader can skip a term per round trip.
  const n = direct('F', three, { term: 5 }, log(1, 1, 2, 2, 2, 4, 4));
  send(n, 'app', { from: 'L', term: 5, prevIndex: 9, prevTerm: 3, entries: [], commit: 0 });
  const [r] = ofType(out(n), 'appResp');
  assert.deepEqual([r?.success, r?.index, r?.hintIndex, r?.hintTerm], [false, 9, 5, 2]);
});

/** A leader elected in term 2 over `entries`, whose probe to n2 is answered with "I have nothing". */
function leaderWithEmptyFollower(entries: Entry[], over: Parameters<typeof direct>[4]) {
  const n = direct('n1', three, { term: 1 }, entries, over);
  elect(n, ['n3']);
  const last = n.raft.status().lastIndex;
  drain(n);
  send(n, 'appResp', {
    from: 'n2',
    term: 2,
    success: false,
    index: last - 1,
    hintIndex: 0,
    hintTerm: 0,
  });
  return { n, last };
}

const batches = (msgs: readonly Message[]): number[][] =>
  ofType(msgs, 'app')
    .filter((m) => m.to === 'n2')
    .map((m) => m.entries.map((e) => e.index));

test('AppendEntries carry at most maxEntriesPerMsg entries', () => {
  // Thesis §10.2.1: the leader batches entries, bounded by a per-message entry count.
  const { n } = leaderWithEmptyFollower(log(...repeat(10, 1)), { maxEntriesPerMsg: 3 });
  assert.deepEqual(batches(out(n)), [[1, 2, 3]], 'probing: one message');
  send(n, 'appResp', { from: 'n2', term: 2, success: true, index: 3, hintIndex: 0, hintTerm: 0 });
  assert.deepEqual(batches(out(n)), [
    [4, 5, 6],
    [7, 8, 9],
    [10, 11],
  ]);
});

test('AppendEntries carry about maxBytesPerMsg bytes, but an oversized entry still goes alone', () => {
  // Thesis §10.2.1: batches are bounded in bytes, and an entry larger than the bound is never stuck.
  const big = (i: number, size: number): Entry => normal(i, 1, 'x'.repeat(size));
  const entries = [big(1, 100), big(2, 100), big(3, 100), big(4, 500), big(5, 100)];
  const { n } = leaderWithEmptyFollower(entries, { maxBytesPerMsg: 300 });
  assert.deepEqual(batches(out(n)), [[1, 2]], '2×116 bytes fit in 300, 3×116 do not');
  send(n, 'appResp', { from: 'n2', term: 2, success: true, index: 2, hintIndex: 0, hintTerm: 0 });
  assert.deepEqual(batches(out(n)), [[3], [4], [5, 6]]);
});

/** A cluster whose follower `f` is in replicate state and then stops answering the leader. */
function silentFollower(over: Parameters<typeof direct>[4]) {
  const c = new Cluster(['n1', 'n2', 'n3'], over);
  const leader = c.electLeader();
  const [f, other] = [...c.nodes.keys()].filter((id) => id !== leader);
  if (f === undefined || other === undefined) throw new Error('need two followers');
  c.node(leader).raft.propose(enc('warm-up'));
  c.settle();
  c.cut.add(`${f}->${leader}`);
  const mark = c.trace.length;
  const sentTo = (to: string): Entry[][] =>
    ofType(c.trace.slice(mark), 'app')
      .filter((m) => m.to === to && m.entries.length > 0)
      .map((m) => [...m.entries]);
  return { c, leader, f, other, sentTo };
}

test('pipelining stops at maxInflightMsgs unacknowledged AppendEntries', () => {
  // Thesis §10.2.1: the leader pipelines AppendEntries without waiting, but bounds the messages in flight to one follower.
  const { c, leader, f, other, sentTo } = silentFollower({ maxInflightMsgs: 3 });
  for (let i = 0; i < 10; i++) {
    c.node(leader).raft.propose(enc(`p${i}`));
    c.settle();
  }
  assert.equal(sentTo(f).length, 3, 'three in flight, then the window is full');
  assert.equal(sentTo(other).length, 10, 'the responsive follower is unaffected');
  c.heal();
  c.tick(2);
  assert.equal(c.node(f).raft.status().lastIndex, c.node(leader).raft.status().lastIndex);
});

test('pipelining also stops at maxInflightBytes', () => {
  // Thesis §10.2.1: the in-flight window is bounded in bytes as well as in messages.
  const { c, leader, f, sentTo } = silentFollower({ maxInflightBytes: 200 });
  for (let i = 0; i < 5; i++) {
    c.node(leader).raft.propose(new Uint8Array(100));
    c.settle();
  }
  assert.equal(sentTo(f).length, 2, '116 bytes in flight allow another, 232 do not');
});

test('a lost AppendEntries is recovered after the next heartbeat', () => {
  // §5.3: when an AppendEntries is lost the leader keeps retrying (here prompted by a heartbeat reply) until the follower stores every entry.
  const c = new Cluster(['n1', 'n2', 'n3']);
  const leader = c.electLeader();
  const [f] = [...c.nodes.keys()].filter((id) => id !== leader);
  if (f === undefined) throw new Error('no follower');
  c.node(leader).raft.propose(enc('a'));
  c.settle();
  // Lose the append carrying "b" and the later commit notice: only heartbeats can reveal the gap.
  let lost = 0;
  c.node(leader).raft.propose(enc('b'));
  pump(c, { drop: (m) => m.type === 'app' && m.to === f && ++lost > 0 });
  assert.equal(lost, 2);
  const last = c.node(leader).raft.status().lastIndex;
  assert.equal(c.node(f).raft.status().lastIndex, last - 1, 'the follower missed "b"');
  c.tick(1);
  assert.equal(c.node(f).raft.status().lastIndex, last);
  assert.equal(c.node(f).raft.status().commit, last);
});
