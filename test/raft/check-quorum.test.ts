// Check-quorum and the leader lease: thesis §6.2 (leaders step down) and §4.2.3 (disruptive
// servers: votes are ignored within the minimum election timeout of hearing from a leader).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cluster } from './harness.ts';
import { direct, drain, ofType, out, send, ticks, traced, voters } from './helpers.ts';

const three = voters('n1', 'n2', 'n3');
const T = 10; // defaultRaftOptions.electionTicks

function otherThan(c: Cluster, leader: string): string[] {
  return [...c.nodes.keys()].filter((id) => id !== leader);
}

test('a leader cut off from the majority steps down exactly one election timeout later', () => {
  // §6.2: if an election timeout elapses without a successful round of heartbeats to a majority, the leader steps down (and not earlier).
  for (const phase of [0, 4, 9, 10, 17]) {
    const c = new Cluster(['n1', 'n2', 'n3']);
    const leader = c.electLeader();
    c.tick(phase); // the last successful heartbeat round is this tick
    c.isolate(leader);
    c.tick(T - 1);
    assert.equal(c.node(leader).raft.status().role, 'leader', `phase ${phase}: not before T`);
    c.tick(1);
    assert.equal(c.node(leader).raft.status().role, 'follower', `phase ${phase}: at T`);
  }
});

test('repeated transfer requests do not postpone the check-quorum step-down', () => {
  // §6.2 with §3.10: a leader that keeps retrying a transfer it cannot complete must still notice it lost the majority.
  const c = new Cluster(['n1', 'n2', 'n3']);
  const leader = c.electLeader();
  const [target] = otherThan(c, leader);
  if (target === undefined) throw new Error('no follower');
  c.isolate(leader);
  for (let t = 0; t < 5 * T; t++) {
    if (t % (T - 1) === 0 && c.node(leader).raft.status().role === 'leader') {
      c.node(leader).raft.transferLeadership(target); // e.g. a drain-on-shutdown retry loop
    }
    c.tick();
  }
  assert.notEqual(c.leader(), null, 'the majority side elected a leader meanwhile');
  assert.notEqual(c.node(leader).raft.status().role, 'leader', 'the cut-off leader stepped down');
});

test('a leader that still reaches a majority keeps leading while one follower is gone', () => {
  // §6.2: check-quorum counts a majority, not every follower.
  const c = new Cluster(['n1', 'n2', 'n3']);
  const leader = c.electLeader();
  const term = c.node(leader).raft.status().term;
  const [gone] = otherThan(c, leader);
  if (gone === undefined) throw new Error('no follower');
  c.isolate(gone);
  c.tick(5 * T);
  assert.deepEqual(
    [c.node(leader).raft.status().role, c.node(leader).raft.status().term],
    ['leader', term],
  );
});

test('a follower in its leader lease ignores RequestVote and pre-vote from a disruptive node', () => {
  // §4.2.3: within the minimum election timeout of hearing from a leader, a server neither updates its term nor grants its vote.
  const n = direct('n1', three, { term: 3 }, [], {}, 5);
  send(n, 'heartbeat', { from: 'n2', term: 3, commit: 0, readSeq: 0 });
  drain(n);
  send(n, 'vote', { from: 'n3', term: 9, lastIndex: 5, lastTerm: 8, force: false });
  send(n, 'preVote', { from: 'n3', term: 9, lastIndex: 5, lastTerm: 8, force: false });
  assert.deepEqual(out(n), [], 'no answer at all');
  const st = n.raft.status();
  assert.deepEqual([st.term, st.vote, st.leader], [3, null, 'n2']);
});

test('once the lease has run out the same vote request is considered', () => {
  // §4.2.3: the lease lasts one minimum election timeout after the leader was last heard.
  const n = direct('n1', three, { term: 3 }, [], {}, 5); // campaigns only after 15 ticks
  send(n, 'heartbeat', { from: 'n2', term: 3, commit: 0, readSeq: 0 });
  drain(n);
  ticks(n, T - 1);
  send(n, 'vote', { from: 'n3', term: 9, lastIndex: 5, lastTerm: 8, force: false });
  assert.deepEqual(out(n), [], 'still in lease one tick before it ends');
  n.raft.tick();
  send(n, 'vote', { from: 'n3', term: 9, lastIndex: 5, lastTerm: 8, force: false });
  const [resp] = ofType(out(n), 'voteResp');
  assert.deepEqual([resp?.term, resp?.granted], [9, true]);
});

test('a forced vote from a leadership transfer is not ignored by a follower in lease', () => {
  // §3.10 with §4.2.3: a RequestVote sent because the leader asked (TimeoutNow) must bypass the lease, or transfers could never work.
  const n = direct('n1', three, { term: 3 }, [], {}, 5);
  send(n, 'heartbeat', { from: 'n2', term: 3, commit: 0, readSeq: 0 });
  drain(n);
  send(n, 'vote', { from: 'n3', term: 4, lastIndex: 0, lastTerm: 0, force: true });
  const [resp] = ofType(out(n), 'voteResp');
  assert.deepEqual([resp?.term, resp?.granted], [4, true]);
  assert.deepEqual([n.raft.status().term, n.raft.status().vote], [4, 'n3']);
});

test('a removed server that times out does not disrupt the cluster while the lease holds', () => {
  // §4.2.3: a server removed without learning it keeps starting elections; the lease makes the remaining servers ignore it.
  const c = new Cluster(['n1', 'n2', 'n3'], { preVote: false });
  const leader = c.electLeader();
  const [stay, removed] = otherThan(c, leader);
  if (stay === undefined || removed === undefined) throw new Error('need two followers');
  c.isolate(removed);
  c.node(leader).raft.proposeConfChange({ type: 'remove', node: removed });
  c.settle();
  c.tick(2);
  const term = c.node(leader).raft.status().term;
  assert.deepEqual(c.node(stay).raft.status().config.voters, [leader, stay].sort());
  c.tick(3 * T);
  assert.ok(c.node(removed).raft.status().term > term + 1, 'the removed server keeps campaigning');
  c.heal();
  c.tick(3 * T);
  assert.equal(c.leader(), leader);
  assert.equal(c.node(leader).raft.status().term, term, 'nobody adopted the removed term');
  assert.deepEqual(
    traced(c, 'voteResp', (m) => m.to === removed),
    [],
  );
});

test('without check-quorum the removed server does depose the leader', () => {
  // §4.2.3 (motivation): absent the lease, the removed server's higher term makes the cluster hold a new election.
  const c = new Cluster(['n1', 'n2', 'n3'], { preVote: false, checkQuorum: false });
  const leader = c.electLeader();
  const [, removed] = otherThan(c, leader);
  if (removed === undefined) throw new Error('need two followers');
  c.isolate(removed);
  c.node(leader).raft.proposeConfChange({ type: 'remove', node: removed });
  c.settle();
  c.tick(2);
  const term = c.node(leader).raft.status().term;
  c.tick(3 * T);
  c.heal();
  c.tick(3 * T);
  assert.ok(c.node(leader).raft.status().term > term, 'the cluster moved to a higher term');
});
