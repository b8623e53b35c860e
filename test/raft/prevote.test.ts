// Pre-vote: Ongaro's thesis §9.6 (preventing disruptions when a server rejoins the cluster).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cluster } from './harness.ts';
import { direct, drain, log, ofType, out, send, traced, voters } from './helpers.ts';

const three = voters('n1', 'n2', 'n3');

function followers(c: Cluster, leader: string): [string, string] {
  const [a, b] = [...c.nodes.keys()].filter((id) => id !== leader);
  if (a === undefined || b === undefined) throw new Error('need two followers');
  return [a, b];
}

test('a partitioned node keeps failing its pre-votes and never inflates its term', () => {
  // §9.6: a server may only increment its term once a pre-vote shows it could win, so a partitioned server's term stays put.
  const c = new Cluster(['n1', 'n2', 'n3']);
  const leader = c.electLeader();
  const term = c.node(leader).raft.status().term;
  const [, lone] = followers(c, leader);
  c.isolate(lone);
  c.tick(100);
  const st = c.node(lone).raft.status();
  assert.equal(st.term, term, 'term unchanged after 100 ticks alone');
  assert.equal(st.role, 'preCandidate');
  const pre = traced(c, 'preVote', (m) => m.from === lone);
  assert.ok(pre.length >= 2 * 5, `it kept retrying (${pre.length} pre-votes)`);
  assert.ok(
    pre.every((m) => m.term === term + 1),
    'pre-votes name the next term only',
  );
  assert.deepEqual(
    traced(c, 'vote', (m) => m.from === lone),
    [],
    'never a real election',
  );
});

test('a rejoining partitioned node does not disrupt the leader', () => {
  // §9.6: after the partition heals the returning server simply follows the current leader.
  const c = new Cluster(['n1', 'n2', 'n3']);
  const leader = c.electLeader();
  const term = c.node(leader).raft.status().term;
  const [, lone] = followers(c, leader);
  c.isolate(lone);
  c.tick(57);
  c.heal();
  c.tick(30);
  assert.equal(c.leader(), leader);
  for (const n of c.nodes.values()) {
    assert.deepEqual([n.raft.status().term, n.raft.status().leader], [term, leader]);
  }
});

test('without pre-vote the same partition inflates the term and deposes the leader', () => {
  // §9.6 (motivation): a server that times out alone keeps incrementing its term and forces the leader to step down when it returns.
  const c = new Cluster(['n1', 'n2', 'n3'], { preVote: false });
  const leader = c.electLeader();
  const term = c.node(leader).raft.status().term;
  const [, lone] = followers(c, leader);
  c.isolate(lone);
  c.tick(57);
  assert.ok(c.node(lone).raft.status().term >= term + 3, 'term inflated while alone');
  c.heal();
  c.tick(1);
  const st = c.node(leader).raft.status();
  assert.equal(st.role, 'follower', 'the leader heard the inflated term and stepped down');
  assert.ok(st.term >= term + 3);
  const next = c.electLeader();
  assert.ok(c.node(next).raft.status().term > term + 3, 'a new election in a much later term');
});

test('a node cut off only from the leader gets no pre-votes from a follower that hears the leader', () => {
  // §9.6 with §4.2.3: a voter that recently heard from a leader will not pre-vote for someone else, so a partial partition does not elect anyone.
  const c = new Cluster(['n1', 'n2', 'n3']);
  const leader = c.electLeader();
  const term = c.node(leader).raft.status().term;
  const [, lone] = followers(c, leader);
  c.cut.add(`${leader}->${lone}`);
  c.cut.add(`${lone}->${leader}`);
  c.tick(60);
  assert.equal(c.leader(), leader);
  assert.equal(c.node(lone).raft.status().term, term);
  assert.deepEqual(
    traced(c, 'preVoteResp', (m) => m.to === lone),
    [],
    'pre-votes are ignored',
  );
  c.heal();
  c.tick(2);
  assert.equal(c.node(lone).raft.status().leader, leader);
});

test('granting a pre-vote changes neither the voter’s term nor its vote', () => {
  // §9.6: a pre-vote is a question ("would you vote for me?"), answered in the asker's next term without any durable change.
  const n = direct('n1', three, { term: 3, vote: 'n1' }, log(1, 3));
  send(n, 'preVote', { from: 'n2', term: 4, lastIndex: 2, lastTerm: 3, force: false });
  const rd = drain(n);
  assert.equal(rd?.hardState, null);
  assert.deepEqual(
    ofType(rd.messages, 'preVoteResp').map((m) => [m.to, m.term, m.granted]),
    [['n2', 4, true]],
  );
  assert.deepEqual([n.raft.status().term, n.raft.status().vote], [3, 'n1']);
});

test('a pre-vote is refused to a candidate whose log is behind', () => {
  // §9.6 with §5.4.1: the pre-vote applies the same up-to-date check as a real vote.
  const n = direct('n1', three, { term: 3 }, log(1, 3));
  send(n, 'preVote', { from: 'n2', term: 4, lastIndex: 1, lastTerm: 1, force: false });
  const [resp] = ofType(out(n), 'preVoteResp');
  assert.deepEqual([resp?.granted, resp?.term], [false, 3]);
  assert.equal(n.raft.status().term, 3);
});

test('a pre-candidate with a majority of pre-votes runs a real election in the next term', () => {
  // §9.6: only after a majority says it could win does the candidate increment its term and request votes.
  const n = direct('n1', three, { term: 3 }, log(1, 3));
  n.raft.campaign();
  drain(n);
  send(n, 'preVoteResp', { from: 'n2', term: 4, granted: true });
  const rd = drain(n);
  assert.equal(rd?.softState?.role, 'candidate');
  assert.deepEqual(rd.hardState, { term: 4, vote: 'n1', commit: 0 });
  assert.deepEqual(
    ofType(rd.messages, 'vote').map((m) => [m.to, m.term]),
    [
      ['n2', 4],
      ['n3', 4],
    ],
  );
});

test('a pre-candidate refused by a majority returns to follower with its term unchanged', () => {
  // §9.6: losing a pre-vote costs nothing: no term was spent.
  const n = direct('n1', three, { term: 3 }, log(1, 3));
  n.raft.campaign();
  send(n, 'preVoteResp', { from: 'n2', term: 3, granted: false });
  send(n, 'preVoteResp', { from: 'n3', term: 3, granted: false });
  assert.deepEqual([n.raft.status().role, n.raft.status().term], ['follower', 3]);
  assert.equal(drain(n)?.hardState, null);
});
