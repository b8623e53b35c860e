// Client proposals: only the leader accepts them (Raft paper §8, thesis §6.2 "routing requests to
// the leader"), and a leader sheds load it cannot commit (thesis §10.2.1 flow control).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cluster, enc } from './harness.ts';
import { direct, drain, elect, raftError, voters } from './helpers.ts';

const three = voters('n1', 'n2', 'n3');

test('a follower refuses a proposal with NOT_LEADER naming the leader it knows', () => {
  // §8 / thesis §6.2: a follower that receives a client request redirects it to the leader.
  const c = new Cluster(['n1', 'n2', 'n3']);
  const leader = c.electLeader();
  const follower = [...c.nodes.keys()].find((id) => id !== leader) ?? '';
  const e = raftError(() => c.node(follower).raft.propose(enc('x')), 'NOT_LEADER');
  assert.equal(e.leader, leader);
  const e2 = raftError(
    () => c.node(follower).raft.proposeConfChange({ type: 'remove', node: leader }),
    'NOT_LEADER',
  );
  assert.equal(e2.leader, leader);
});

test('without a known leader a proposal fails with NOT_LEADER and no leader id', () => {
  // Thesis §6.2: when no leader is known the client must retry elsewhere or later.
  const n = direct('n1', three, { term: 1 });
  assert.equal(raftError(() => n.raft.propose(enc('x')), 'NOT_LEADER').leader, null);
  n.raft.campaign(); // now a pre-candidate
  assert.equal(raftError(() => n.raft.propose(enc('x')), 'NOT_LEADER').leader, null);
});

test('the leader appends a proposal in its own term at the next index', () => {
  // §5.3: the leader appends the command to its log as a new entry of its current term.
  const n = direct('n1', three, { term: 1 });
  elect(n, ['n2']);
  drain(n);
  assert.equal(n.raft.propose(enc('x')), 2);
  assert.deepEqual(
    drain(n)?.entries.map((e) => [e.index, e.term]),
    [[2, 2]],
  );
});

test('proposals are refused with TRANSFER_IN_PROGRESS while leadership is moving', () => {
  // Thesis §3.10: during a transfer the leader stops accepting client requests.
  const c = new Cluster(['n1', 'n2', 'n3']);
  const leader = c.electLeader();
  const target = [...c.nodes.keys()].find((id) => id !== leader) ?? '';
  c.isolate(target);
  c.node(leader).raft.propose(enc('lag'));
  c.settle();
  c.node(leader).raft.transferLeadership(target);
  c.settle();
  const e = raftError(() => c.node(leader).raft.propose(enc('x')), 'TRANSFER_IN_PROGRESS');
  assert.equal(e.leader, leader);
  raftError(
    () => c.node(leader).raft.proposeConfChange({ type: 'addLearner', node: 'n9' }),
    'TRANSFER_IN_PROGRESS',
  );
});

test('a leader drops proposals beyond maxUncommittedBytes until some commit', () => {
  // Thesis §10.2.1: a leader bounds the uncommitted data it holds instead of growing without limit.
  const c = new Cluster(['n1', 'n2', 'n3'], { maxUncommittedBytes: 100 });
  const leader = c.electLeader();
  c.tick(1);
  for (const id of c.nodes.keys()) if (id !== leader) c.isolate(id);
  const raft = c.node(leader).raft;
  raft.propose(new Uint8Array(50)); // 66 bytes accounted
  const e = raftError(() => raft.propose(new Uint8Array(50)), 'PROPOSAL_DROPPED');
  assert.equal(e.leader, leader);
  raft.propose(new Uint8Array(10)); // 66 + 26 still fits
  c.heal();
  c.tick(1);
  assert.equal(raft.status().commit, raft.status().lastIndex);
  raft.propose(new Uint8Array(50));
  raft.propose(new Uint8Array(10));
});

test('a single proposal larger than maxUncommittedBytes is accepted when nothing is pending', () => {
  // Thesis §10.2.1: the bound sheds load but must not make a large command impossible.
  const c = new Cluster(['n1', 'n2', 'n3'], { maxUncommittedBytes: 100 });
  const leader = c.electLeader();
  c.tick(1);
  const raft = c.node(leader).raft;
  const index = raft.propose(new Uint8Array(500));
  raftError(() => raft.propose(new Uint8Array(1)), 'PROPOSAL_DROPPED');
  c.settle();
  assert.ok(raft.status().commit >= index);
});
