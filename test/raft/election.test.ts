// Leader election: Raft paper §5.2 and the election restriction of §5.4.1.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RaftNode, type Random } from '../../src/raft/index.ts';
import { Cluster, seededRandom } from './harness.ts';
import {
  direct,
  drain,
  elect,
  log,
  ofType,
  opts,
  out,
  send,
  storageWith,
  ticks,
  traced,
  voters,
} from './helpers.ts';

const three = voters('n1', 'n2', 'n3');

test('a follower that hears nothing for an election timeout starts a pre-vote', () => {
  // §5.2 (with §9.6 pre-vote): a silent election timeout makes a follower a pre-candidate that asks for votes in term+1 without bumping its own term.
  const n = direct('n1', three, { term: 4 }, log(1, 4));
  ticks(n, 9);
  assert.equal(n.raft.status().role, 'follower');
  assert.deepEqual(out(n), []);
  n.raft.tick();
  const rd = drain(n);
  assert.deepEqual(rd?.softState, { leader: null, role: 'preCandidate' });
  assert.equal(rd.hardState, null, 'a pre-vote changes nothing durable');
  assert.deepEqual(
    rd.messages.map((m) => ({ ...m })),
    ['n2', 'n3'].map((to) => ({
      type: 'preVote',
      from: 'n1',
      to,
      term: 5,
      lastIndex: 2,
      lastTerm: 4,
      force: false,
    })),
  );
});

test('without pre-vote a timed-out follower becomes a candidate of the next term', () => {
  // §5.2: to begin an election a follower increments its term, votes for itself and sends RequestVote to every other server.
  const n = direct('n1', three, { term: 4 }, log(1, 4), { preVote: false });
  ticks(n, 10);
  const rd = drain(n);
  assert.equal(rd?.softState?.role, 'candidate');
  assert.deepEqual(rd.hardState, { term: 5, vote: 'n1', commit: 0 });
  const reqs = ofType(rd.messages, 'vote');
  assert.deepEqual(
    reqs.map((m) => [m.to, m.term, m.lastIndex, m.lastTerm]),
    [
      ['n2', 5, 2, 4],
      ['n3', 5, 2, 4],
    ],
  );
});

test('election timeouts are drawn from [T, 2T) and redrawn for every new election', () => {
  // §5.2: randomized election timeouts, re-randomized at the start of each election, make split votes rare and resolve them.
  const draws = [3, 7];
  const asked: number[] = [];
  const random: Random = {
    int: (n) => {
      asked.push(n);
      return draws.shift() ?? 0;
    },
  };
  const storage = storageWith(three);
  const n = {
    raft: new RaftNode({ ...opts('n1', { preVote: false }), random }, storage.initialState()),
    storage,
  };
  ticks(n, 12);
  assert.equal(n.raft.status().role, 'follower', 'timeout is 10+3');
  n.raft.tick();
  assert.deepEqual([n.raft.status().role, n.raft.status().term], ['candidate', 1]);
  // Nobody answers (a split vote): the candidate retries after its new timeout, 10+7 ticks.
  ticks(n, 16);
  assert.equal(n.raft.status().term, 1);
  n.raft.tick();
  assert.deepEqual([n.raft.status().role, n.raft.status().term], ['candidate', 2]);
  assert.ok(asked.length >= 3 && asked.every((x) => x === 10), 'jitter is drawn below T');
});

test('differently seeded nodes time out at different ticks, all within [T, 2T)', () => {
  // §5.2: servers pick their timeouts independently, so usually a single server times out first.
  const fired = ['n1', 'n2', 'n3', 'n4', 'n5'].map((id, i) => {
    const storage = storageWith(voters('n1', 'n2', 'n3', 'n4', 'n5'));
    const raft = new RaftNode(
      { ...opts(id), random: seededRandom(1000 + i) },
      storage.initialState(),
    );
    let t = 0;
    while (raft.status().role === 'follower') {
      raft.tick();
      t++;
    }
    return t;
  });
  assert.ok(
    fired.every((t) => t >= 10 && t < 20),
    `timeouts ${fired.join(',')}`,
  );
  assert.ok(new Set(fired).size >= 3, `timeouts ${fired.join(',')} are spread out`);
});

test('a server grants at most one vote per term', () => {
  // §5.2: each server votes for at most one candidate in a term, first-come-first-served (a repeated request from the same candidate is granted again).
  const n = direct('n1', three, { term: 1 });
  const ask = (from: string): boolean => {
    send(n, 'vote', { from, term: 2, lastIndex: 0, lastTerm: 0, force: false });
    const rd = drain(n);
    const [resp] = ofType(rd?.messages ?? [], 'voteResp');
    assert.ok(resp !== undefined);
    return resp.granted;
  };
  assert.equal(ask('n2'), true);
  assert.deepEqual(n.storage.storedHardState(), { term: 2, vote: 'n2', commit: 0 });
  assert.equal(ask('n3'), false);
  assert.equal(ask('n2'), true);
  assert.equal(n.raft.status().vote, 'n2');
});

test('a vote is granted only to a candidate whose log is at least as up to date', () => {
  // §5.4.1: compare last terms first; with equal last terms the longer log wins.
  const cases: [lastIndex: number, lastTerm: number, granted: boolean][] = [
    [5, 1, false], // longer but older last term
    [1, 2, false], // same last term, shorter
    [2, 2, true], // identical
    [3, 2, true], // same last term, longer
    [1, 3, true], // newer last term, shorter
  ];
  for (const [lastIndex, lastTerm, granted] of cases) {
    const n = direct('n1', three, { term: 2 }, log(1, 2));
    send(n, 'vote', { from: 'n2', term: 3, lastIndex, lastTerm, force: false });
    const [resp] = ofType(out(n), 'voteResp');
    assert.equal(resp?.granted, granted, `candidate log (${lastIndex}, ${lastTerm})`);
    assert.equal(resp.term, 3, 'the voter adopts the newer term either way');
    assert.equal(n.raft.status().vote, granted ? 'n2' : null);
  }
});

test('a candidate that hears AppendEntries from a leader of its term steps down', () => {
  // §5.2: a candidate receiving AppendEntries from a leader whose term is at least its own returns to follower; an older term is rejected.
  const n = direct('n1', three, { term: 1 }, [], { preVote: false });
  n.raft.campaign();
  drain(n);
  send(n, 'app', { from: 'n3', term: 1, prevIndex: 0, prevTerm: 0, entries: [], commit: 0 });
  assert.equal(n.raft.status().role, 'candidate', 'a stale leader does not stop the election');
  const [stale] = ofType(out(n), 'appResp');
  assert.deepEqual([stale?.term, stale?.success], [2, false], 'the stale leader learns term 2');
  send(n, 'app', { from: 'n2', term: 2, prevIndex: 0, prevTerm: 0, entries: [], commit: 0 });
  const st = n.raft.status();
  assert.deepEqual([st.role, st.leader, st.term, st.vote], ['follower', 'n2', 2, 'n1']);
});

test('a candidate with a majority of votes becomes leader and appends a no-op', () => {
  // §5.2 and §8: a candidate that wins a majority becomes leader and appends a blank entry of its own term.
  const n = direct('n1', voters('n1', 'n2', 'n3', 'n4', 'n5'), { term: 1 }, log(1), {
    preVote: false,
  });
  n.raft.campaign();
  drain(n);
  send(n, 'voteResp', { from: 'n2', term: 2, granted: true });
  assert.equal(n.raft.status().role, 'candidate', '2 of 5 is not a majority');
  send(n, 'voteResp', { from: 'n3', term: 2, granted: true });
  const rd = drain(n);
  assert.deepEqual(rd?.softState, { leader: 'n1', role: 'leader' });
  assert.deepEqual(
    rd.entries.map((e) => [e.index, e.term, e.type === 'normal' ? e.data.byteLength : -1]),
    [[2, 2, 0]],
  );
  const apps = ofType(rd.messages, 'app');
  assert.deepEqual(apps.map((m) => m.to).sort(), ['n2', 'n3', 'n4', 'n5']);
});

test('a candidate rejected by a majority returns to follower in the same term', () => {
  // §5.2: a candidate that cannot win (a majority voted for others) stops campaigning.
  const n = direct('n1', three, { term: 1 }, [], { preVote: false });
  n.raft.campaign();
  send(n, 'voteResp', { from: 'n2', term: 2, granted: false });
  assert.equal(n.raft.status().role, 'candidate');
  send(n, 'voteResp', { from: 'n3', term: 2, granted: false });
  assert.deepEqual([n.raft.status().role, n.raft.status().term], ['follower', 2]);
});

test('a leader that sees a higher term steps down', () => {
  // §5.1: if a server's term is stale it reverts to follower, leaders included.
  const n = direct('n1', three, { term: 1 });
  elect(n, ['n2']);
  drain(n);
  send(n, 'heartbeatResp', { from: 'n3', term: 7, readSeq: 0 });
  const st = n.raft.status();
  assert.deepEqual([st.role, st.term, st.vote, st.leader], ['follower', 7, null, null]);
  assert.deepEqual(drain(n)?.hardState, { term: 7, vote: null, commit: 0 });
});

test('without a lease, a higher-term RequestVote deposes the leader and is granted', () => {
  // §5.1/§5.2: with check-quorum off a leader has no lease, so a newer candidate's term wins.
  const n = direct('n1', three, { term: 1 }, [], { checkQuorum: false });
  elect(n, ['n2']);
  drain(n);
  const last = n.raft.status().lastIndex;
  send(n, 'vote', { from: 'n3', term: 9, lastIndex: last, lastTerm: 2, force: false });
  const [resp] = ofType(out(n), 'voteResp');
  assert.deepEqual([resp?.granted, resp?.term], [true, 9]);
  assert.equal(n.raft.status().role, 'follower');
});

test('a single-voter cluster elects itself on its first timeout without any messages', () => {
  // §5.2: a majority of one is the node itself, so it wins at once; its no-op commits as soon as it is on its disk.
  const n = direct('n1', voters('n1'));
  ticks(n, 10);
  const rd = drain(n);
  assert.deepEqual(rd?.softState, { leader: 'n1', role: 'leader' });
  assert.deepEqual(rd.messages, []);
  assert.deepEqual(rd.hardState, { term: 1, vote: 'n1', commit: 0 });
  assert.equal(rd.sendBeforePersist, false, 'its term and vote are not on disk yet');
  const next = drain(n);
  assert.deepEqual(next?.hardState, { term: 1, vote: 'n1', commit: 1 });
  assert.deepEqual(
    next.committed.map((e) => e.index),
    [1],
  );
});

test('a split vote elects nobody, and the randomized retry elects exactly one leader', () => {
  // §5.2: when votes split no candidate wins; each times out again and the first to do so wins the next term.
  const c = new Cluster(['n1', 'n2', 'n3', 'n4'], { preVote: false });
  c.cut.add('n1->n4');
  c.cut.add('n2->n3');
  c.node('n1').raft.campaign();
  c.node('n2').raft.campaign();
  c.settle();
  assert.equal(c.leader(), null, '2 votes of 4 each: nobody wins term 1');
  assert.deepEqual(
    ['n1', 'n2'].map((id) => c.node(id).raft.status().role),
    ['candidate', 'candidate'],
  );
  c.heal();
  const leader = c.electLeader();
  assert.equal(c.node(leader).raft.status().term, 2);
  const term2Candidates = new Set(traced(c, 'vote', (m) => m.term === 2).map((m) => m.from));
  assert.deepEqual([...term2Candidates], [leader], 'only one node timed out first in term 2');
});
