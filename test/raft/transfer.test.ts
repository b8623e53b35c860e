// Leadership transfer: thesis §3.10 (catch the target up, send TimeoutNow, abort after a timeout).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStorage } from '../../src/raft/index.ts';
import { Cluster, appliedData, enc } from './harness.ts';
import { raftError, traced } from './helpers.ts';

const T = 10; // defaultRaftOptions.electionTicks

function cluster() {
  const c = new Cluster(['n1', 'n2', 'n3']);
  const leader = c.electLeader();
  c.node(leader).raft.propose(enc('a'));
  c.settle();
  c.tick(1);
  const [target, other] = [...c.nodes.keys()].filter((id) => id !== leader);
  if (target === undefined || other === undefined) throw new Error('need two followers');
  return { c, leader, target, other, term: c.node(leader).raft.status().term };
}

test('a transfer to an up-to-date voter elects it in a single round', () => {
  // §3.10: the leader sends TimeoutNow; the target starts an election at once (no pre-vote) and wins it in the next term.
  const { c, leader, target, term } = cluster();
  const mark = c.trace.length;
  c.node(leader).raft.transferLeadership(target);
  c.settle();
  assert.equal(c.leader(), target);
  assert.equal(c.node(target).raft.status().term, term + 1);
  assert.equal(c.node(leader).raft.status().role, 'follower');
  const round = c.trace.slice(mark);
  const kinds = round.filter((m) => ['timeoutNow', 'preVote', 'vote'].includes(m.type));
  assert.deepEqual(
    kinds.map((m) => [m.type, m.from, m.term, 'force' in m ? m.force : null]),
    [
      ['timeoutNow', leader, term, null],
      ['vote', target, term + 1, true],
      ['vote', target, term + 1, true],
    ],
  );
  const granted = traced(c, 'voteResp', (m) => m.to === target && m.term === term + 1);
  assert.ok(granted.every((m) => m.granted) && granted.length === 2, 'the old leader votes too');
});

test('a transfer to a lagging voter first brings its log up to date', () => {
  // §3.10 step 2: the leader replicates its log to the target before sending TimeoutNow, so the target can win.
  const { c, leader, target, term } = cluster();
  c.isolate(target);
  for (const x of ['b', 'c', 'd']) c.node(leader).raft.propose(enc(x));
  c.settle();
  c.heal();
  const last = c.node(leader).raft.status().lastIndex;
  assert.ok(c.node(target).raft.status().lastIndex < last);
  const mark = c.trace.length;
  c.node(leader).raft.transferLeadership(target);
  for (let i = 0; i < 3 && c.leader() !== target; i++) c.tick();
  assert.equal(c.leader(), target);
  assert.equal(c.node(target).raft.status().term, term + 1, 'one election');
  const round = c.trace.slice(mark);
  const handoff = round.findIndex((m) => m.type === 'timeoutNow');
  const caughtUp = round.findIndex(
    (m) => m.type === 'appResp' && m.from === target && m.success && m.index === last,
  );
  assert.ok(caughtUp >= 0 && caughtUp < handoff, 'TimeoutNow only after the target matched');
  c.tick(1);
  assert.deepEqual(appliedData(c.node(target)), ['a', 'b', 'c', 'd']);
});

test('only a voter can be the target of a transfer', () => {
  // §3.10: the target must be a server that can be elected; learners and strangers cannot.
  const { c, leader } = cluster();
  c.addNode('n4', new MemoryStorage());
  c.node(leader).raft.proposeConfChange({ type: 'addLearner', node: 'n4' });
  c.settle();
  for (const to of ['n4', 'n9']) {
    const e = raftError(() => c.node(leader).raft.transferLeadership(to), 'INVALID_TRANSFER');
    assert.equal(e.leader, leader);
  }
  assert.equal(c.node(leader).raft.status().transferee, null);
  c.node(leader).raft.propose(enc('still accepting'));
});

test('only the leader can transfer leadership, and a transfer to itself changes nothing', () => {
  // §3.10: the transfer is driven by the current leader.
  const { c, leader, target, term } = cluster();
  const e = raftError(() => c.node(target).raft.transferLeadership(leader), 'NOT_LEADER');
  assert.equal(e.leader, leader);
  c.node(leader).raft.transferLeadership(leader);
  c.settle();
  assert.deepEqual(
    [c.leader(), c.node(leader).raft.status().term, c.node(leader).raft.status().transferee],
    [leader, term, null],
  );
});

test('a transfer that cannot finish is aborted after an election timeout and proposals resume', () => {
  // §3.10: if the transfer does not complete within an election timeout, the leader aborts it and resumes accepting client requests.
  const { c, leader, target, term } = cluster();
  c.isolate(target);
  c.node(leader).raft.transferLeadership(target);
  c.settle();
  c.tick(T - 1);
  assert.equal(c.node(leader).raft.status().transferee, target);
  raftError(() => c.node(leader).raft.propose(enc('x')), 'TRANSFER_IN_PROGRESS');
  c.tick(1);
  assert.equal(c.node(leader).raft.status().transferee, null);
  const index = c.node(leader).raft.propose(enc('x'));
  c.settle();
  c.tick(1);
  assert.deepEqual([c.leader(), c.node(leader).raft.status().term], [leader, term]);
  assert.ok(c.node(leader).raft.status().commit >= index);
});
