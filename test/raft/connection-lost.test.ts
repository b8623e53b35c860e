// A follower that sees its leader's connection reset campaigns at once instead of waiting a
// whole election timeout; pre-vote (thesis §9.6) keeps this from disrupting a live leader.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cluster, enc } from './harness.ts';
import { direct, ofType, out, ticks, voters } from './helpers.ts';

/** A settled cluster n1..n3 led by `leader` (the others have their timeouts far away). */
function cluster(): { c: Cluster; leader: string; followers: string[] } {
  const c = new Cluster(['n1', 'n2', 'n3']);
  const leader = c.electLeader();
  c.node(leader).raft.propose(enc('x'));
  c.settle();
  const followers = [...c.nodes.keys()].filter((id) => id !== leader);
  return { c, leader, followers };
}

test('after its leader’s connection is lost, a follower pre-votes within two ticks', () => {
  // §9.6: the lost leader is forgotten, so its lease no longer holds, and a pre-vote starts soon.
  const { c, leader, followers } = cluster();
  c.nodes.delete(leader); // the leader process is gone
  const [a, b] = followers;
  if (a === undefined || b === undefined) throw new Error('need two followers');
  const termBefore = c.node(a).raft.status().term;
  c.node(a).raft.connectionLost(leader);
  c.node(b).raft.connectionLost(leader);
  assert.equal(c.node(a).raft.status().leader, null);
  c.tick(2);
  const newLeader = c.leader();
  assert.ok(newLeader === a || newLeader === b, 'a survivor leads after two ticks');
  assert.equal(c.node(newLeader).raft.status().term, termBefore + 1, 'one election, no split');
});

test('survivors campaign a tick apart, in id order', () => {
  // §5.2: simultaneous candidates split the vote; staggering them avoids it.
  const n2 = direct('n2', voters('n1', 'n2', 'n3'), { term: 1 });
  const n3 = direct('n3', voters('n1', 'n2', 'n3'), { term: 1 });
  for (const n of [n2, n3]) {
    n.raft.step({
      type: 'heartbeat',
      from: 'n1',
      to: n.raft.id,
      term: 1,
      commit: 0,
      readSeq: 0,
    });
    out(n);
    n.raft.connectionLost('n1');
  }
  ticks(n2, 1);
  ticks(n3, 1);
  assert.equal(ofType(out(n2), 'preVote').length, 2, 'n2 goes first');
  assert.deepEqual(ofType(out(n3), 'preVote'), [], 'n3 waits one more tick');
  ticks(n3, 1);
  assert.equal(ofType(out(n3), 'preVote').length, 2);
});

test('a live leader is not disrupted by one follower losing its connection', () => {
  // §9.6: the other follower still hears the leader and refuses the pre-vote; the term stays.
  const { c, leader, followers } = cluster();
  const [a] = followers;
  if (a === undefined) throw new Error('need a follower');
  const term = c.node(leader).raft.status().term;
  c.cut.add(`${leader}->${a}`); // the connection really is gone for a while
  c.node(a).raft.connectionLost(leader);
  c.tick(3);
  assert.equal(c.leader(), leader);
  assert.equal(c.node(leader).raft.status().term, term);
  c.heal();
  c.tick(1);
  assert.equal(c.node(a).raft.status().leader, leader, 'it follows the leader again');
  assert.equal(c.node(a).raft.status().term, term);
});

test('losing the connection of a peer that is not the leader changes nothing', () => {
  // Only the leader's loss ends a lease; other peers come and go.
  const { c, leader, followers } = cluster();
  const [a, b] = followers;
  if (a === undefined || b === undefined) throw new Error('need two followers');
  const before = c.node(a).raft.status();
  c.node(a).raft.connectionLost(b);
  const after = c.node(a).raft.status();
  assert.deepEqual([after.leader, after.term], [leader, before.term]);
  c.tick(2);
  assert.equal(c.leader(), leader);
});

test('without pre-vote a lost connection does not start an election early', () => {
  // Without pre-vote an early election could depose a live leader, so the full timeout applies.
  const n = direct('n2', voters('n1', 'n2', 'n3'), { term: 1 }, [], { preVote: false });
  n.raft.step({ type: 'heartbeat', from: 'n1', to: 'n2', term: 1, commit: 0, readSeq: 0 });
  out(n);
  n.raft.connectionLost('n1');
  assert.equal(n.raft.status().leader, 'n1');
  ticks(n, 2);
  assert.deepEqual(ofType(out(n), 'vote'), []);
});
