// Log replication and the Log Matching Property: Raft paper §5.3 (Figure 7's follower logs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cluster, appliedData, enc } from './harness.ts';
import {
  direct,
  drain,
  elect,
  log,
  ofType,
  out,
  send,
  storageWith,
  termsOf,
  traced,
  voters,
} from './helpers.ts';

const three = voters('n1', 'n2', 'n3');

test('a proposal is replicated, committed by a majority and applied everywhere in order', () => {
  // §5.3: once a majority stores an entry the leader commits it, and followers apply it once they learn the commit index.
  const c = new Cluster(['n1', 'n2', 'n3']);
  const leader = c.electLeader();
  for (const x of ['a', 'b', 'c']) c.node(leader).raft.propose(enc(x));
  c.settle();
  c.tick(1);
  for (const n of c.nodes.values()) {
    assert.deepEqual(appliedData(n), ['a', 'b', 'c']);
    assert.equal(n.raft.status().commit, 4, 'no-op plus three proposals');
  }
});

test('the leader commits when a majority acknowledges, then tells the followers', () => {
  // §5.3: the leader applies an entry once it is replicated on a majority and includes the commit index in later AppendEntries.
  const n = direct('n1', voters('n1', 'n2', 'n3', 'n4', 'n5'), { term: 1 });
  elect(n, ['n2', 'n3']);
  send(n, 'appResp', { from: 'n2', term: 2, success: true, index: 1, hintIndex: 0, hintTerm: 0 });
  send(n, 'appResp', { from: 'n3', term: 2, success: true, index: 1, hintIndex: 0, hintTerm: 0 });
  drain(n);
  const index = n.raft.propose(enc('x'));
  const apps = ofType(out(n), 'app');
  assert.deepEqual(
    apps.map((m) => [m.to, m.prevIndex, m.prevTerm, m.entries.length, m.commit]),
    [
      ['n2', 1, 2, 1, 1],
      ['n3', 1, 2, 1, 1],
    ],
    'replicating followers get the entry; probing ones wait for their probe answer',
  );
  send(n, 'appResp', { from: 'n2', term: 2, success: true, index, hintIndex: 0, hintTerm: 0 });
  assert.equal(n.raft.status().commit, 1, 'leader plus one of five is not a majority');
  send(n, 'appResp', { from: 'n3', term: 2, success: true, index, hintIndex: 0, hintTerm: 0 });
  const rd = drain(n);
  assert.deepEqual(rd?.hardState?.commit, index);
  assert.deepEqual(
    rd.committed.map((e) => e.index),
    [index],
  );
  const commits = ofType(rd.messages, 'app').filter((m) => m.to === 'n2' || m.to === 'n3');
  assert.deepEqual(
    commits.map((m) => m.commit),
    [index, index],
    'followers learn the commit at once',
  );
});

test('a follower rejects AppendEntries whose prevIndex it does not have', () => {
  // §5.3 (consistency check): if the follower has no entry at prevLogIndex it refuses the new entries.
  const n = direct('n1', three, { term: 2 }, log(1, 1, 2));
  send(n, 'app', { from: 'n2', term: 2, prevIndex: 5, prevTerm: 2, entries: [], commit: 0 });
  const [r] = ofType(out(n), 'appResp');
  assert.deepEqual([r?.success, r?.index, r?.hintIndex, r?.hintTerm], [false, 5, 3, 2]);
  assert.deepEqual(termsOf(n.storage.storedEntries()), [1, 1, 2]);
});

test('a follower rejects AppendEntries whose prevTerm differs and keeps its log', () => {
  // §5.3: an entry at prevLogIndex with a different term fails the consistency check.
  const n = direct('n1', three, { term: 3 }, log(1, 1, 2));
  send(n, 'app', {
    from: 'n2',
    term: 3,
    prevIndex: 3,
    prevTerm: 3,
    entries: log(1, 1, 3, 3).slice(3),
    commit: 0,
  });
  const [r] = ofType(out(n), 'appResp');
  assert.deepEqual([r?.success, r?.index], [false, 3]);
  assert.equal(n.raft.status().lastIndex, 3);
  assert.deepEqual(termsOf(n.storage.storedEntries()), [1, 1, 2]);
});

test('a conflicting entry and everything after it are replaced by the leader’s entries', () => {
  // §5.3: if an existing entry conflicts with a new one (same index, different term), delete it and all that follow it.
  const n = direct('n1', three, { term: 3 }, log(1, 1, 2, 2));
  send(n, 'app', {
    from: 'n2',
    term: 3,
    prevIndex: 2,
    prevTerm: 1,
    entries: log(1, 1, 3).slice(2),
    commit: 0,
  });
  const rd = drain(n);
  assert.deepEqual(
    rd?.entries.map((e) => [e.index, e.term]),
    [[3, 3]],
  );
  assert.deepEqual(termsOf(n.storage.storedEntries()), [1, 1, 3]);
  const [r] = ofType(rd.messages, 'appResp');
  assert.deepEqual([r?.success, r?.index], [true, 3]);
});

test('a delayed AppendEntries does not truncate matching entries that follow it', () => {
  // §5.3: only a conflict truncates; an old message whose entries all match leaves the longer log intact.
  const n = direct('n1', three, { term: 1 }, log(1, 1, 1));
  send(n, 'app', { from: 'n2', term: 1, prevIndex: 0, prevTerm: 0, entries: log(1), commit: 0 });
  const [r] = ofType(out(n), 'appResp');
  assert.deepEqual([r?.success, r?.index], [true, 1], 'acks only what the message covered');
  assert.deepEqual(termsOf(n.storage.storedEntries()), [1, 1, 1]);
});

test('a follower commits no further than the last entry the leader’s message vouched for', () => {
  // §5.3 (AppendEntries rule 5): commitIndex = min(leaderCommit, index of last new entry).
  const n = direct('n1', three, { term: 1 }, log(1, 1, 1));
  send(n, 'app', {
    from: 'n2',
    term: 1,
    prevIndex: 1,
    prevTerm: 1,
    entries: log(1, 1).slice(1),
    commit: 3,
  });
  assert.equal(n.raft.status().commit, 2, 'entry 3 may be a stale leftover, not yet vouched for');
  send(n, 'heartbeat', { from: 'n2', term: 1, commit: 3, readSeq: 0 });
  assert.equal(n.raft.status().commit, 3);
});

// Figure 7: the leader of term 8 and six possible follower logs (a)–(f).
const leaderLog = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
const figure7: [name: string, terms: number[]][] = [
  ['a: missing one entry', [1, 1, 1, 4, 4, 5, 5, 6, 6]],
  ['b: missing many entries', [1, 1, 1, 4]],
  ['c: one extra uncommitted entry of term 6', [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6]],
  ['d: extra uncommitted entries of term 7', [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7]],
  ['e: missing entries and extra term-4 entries', [1, 1, 1, 4, 4, 4, 4]],
  ['f: many extra entries of terms 2 and 3', [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3]],
];

for (const [name, followerLog] of figure7) {
  test(`Figure 7 (${name}): the follower's log is made identical to the leader's`, () => {
    // §5.3 / Figure 7: the leader finds the latest agreeing entry, the follower drops what follows it and takes the leader's entries.
    const c = new Cluster([], {});
    c.addNode('L', storageWith(voters('L', 'F', 'X'), { term: 7 }, log(...leaderLog)));
    const fTerm = Math.max(...followerLog);
    c.addNode('F', storageWith(voters('L', 'F', 'X'), { term: fTerm }, log(...followerLog)));
    c.addNode('X', storageWith(voters('L', 'F', 'X'), { term: 7 }, log(...leaderLog)));
    c.node('L').raft.campaign();
    c.settle();
    assert.equal(c.leader(), 'L');
    c.tick(2);
    const expected = [...leaderLog, 8];
    assert.deepEqual(termsOf(c.node('F').storage.storedEntries()), expected);
    assert.deepEqual(
      c.node('F').applied.map((e) => e.term),
      expected,
      'and applies exactly that',
    );
    const rejections = traced(c, 'appResp', (m) => m.from === 'F' && !m.success);
    assert.ok(rejections.length <= 2, `${rejections.length} rejections to find the match point`);
  });
}
