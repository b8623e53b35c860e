// Removing servers: thesis §4.1 (single-server removal), §4.2.2 (removing the current leader) and
// §4.2.3 (removed servers must not disrupt the cluster).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Entry } from '../../src/raft/index.ts';
import { Cluster, enc } from './harness.ts';
import { direct, out, send, ticks, traced, voters } from './helpers.ts';

function cluster() {
  const c = new Cluster(['n1', 'n2', 'n3']);
  const leader = c.electLeader();
  c.tick(1);
  const [a, b] = [...c.nodes.keys()].filter((id) => id !== leader);
  if (a === undefined || b === undefined) throw new Error('need two followers');
  return { c, leader, a, b, term: c.node(leader).raft.status().term };
}

test('a removed follower drops out of replication and the rest commit on their own', () => {
  // §4.1: once the leader appends C_new without the server, it stops replicating to it and counts majorities of C_new.
  const { c, leader, a, b } = cluster();
  const index = c.node(leader).raft.proposeConfChange({ type: 'remove', node: b });
  c.settle();
  c.tick(1);
  for (const id of [leader, a]) {
    assert.deepEqual(c.node(id).raft.status().config.voters, [leader, a].sort());
    assert.ok(c.node(id).raft.status().commit >= index);
  }
  assert.deepEqual(Object.keys(c.node(leader).raft.status().progress ?? {}), [a]);
  const mark = c.trace.length;
  c.isolate(a); // now a majority of {leader, a} is needed: without a, nothing commits
  const next = c.node(leader).raft.propose(enc('x'));
  c.tick(3);
  assert.ok(c.node(leader).raft.status().commit < next);
  assert.deepEqual(
    c.trace.slice(mark).filter((m) => m.to === b),
    [],
    'nothing is sent to the removed server',
  );
});

test('a removed follower that never learns of its removal cannot disrupt the cluster', () => {
  // §4.2.3: the removed server times out and asks for (pre-)votes, but servers hearing from a leader ignore it.
  const { c, leader, a, b, term } = cluster();
  c.node(leader).raft.proposeConfChange({ type: 'remove', node: b });
  c.settle();
  c.tick(60);
  assert.ok(traced(c, 'preVote', (m) => m.from === b).length > 0, 'it did time out');
  assert.equal(c.leader(), leader);
  for (const id of [leader, a, b]) assert.equal(c.node(id).raft.status().term, term);
});

test('a server that has appended its own removal never campaigns', () => {
  // §4.2.3: a server not in its latest configuration does not start elections.
  const n = direct('n3', voters('n1', 'n2', 'n3'), { term: 2 });
  const removal: Entry = {
    type: 'conf',
    term: 2,
    index: 1,
    change: { type: 'remove', node: 'n3' },
    config: voters('n1', 'n2'),
  };
  send(n, 'app', { from: 'n1', term: 2, prevIndex: 0, prevTerm: 0, entries: [removal], commit: 0 });
  out(n);
  ticks(n, 200);
  assert.deepEqual(out(n), []);
  assert.equal(n.raft.status().role, 'follower');
  send(n, 'timeoutNow', { from: 'n1', term: 2 });
  assert.deepEqual([n.raft.status().role, n.raft.status().term], ['follower', 2]);
});

test('a leader removing itself keeps leading, without counting itself, until the removal commits', () => {
  // §4.2.2: the leader manages a cluster that excludes it: it replicates entries but does not count itself in majorities.
  const { c, leader, a, b } = cluster();
  c.isolate(b);
  const index = c.node(leader).raft.proposeConfChange({ type: 'remove', node: leader });
  c.settle();
  const st = c.node(leader).raft.status();
  assert.equal(st.role, 'leader');
  assert.deepEqual(st.config.voters, [a, b].sort());
  assert.equal(c.node(a).raft.status().lastIndex, index, 'it replicated the entry to a');
  assert.ok(st.commit < index, 'a alone is not a majority of {a, b}; the leader does not count');
  const more = c.node(leader).raft.propose(enc('still serving'));
  c.tick(2);
  assert.equal(c.node(a).raft.status().lastIndex, more);
  assert.equal(c.node(leader).raft.status().role, 'leader');
});

test('once its removal commits the leader steps down and hands off to a caught-up voter', () => {
  // §4.2.2 and §3.10: after C_new commits the removed leader steps down; sending TimeoutNow to an up-to-date voter avoids waiting for a timeout.
  const { c, leader, a, b, term } = cluster();
  c.node(leader).raft.proposeConfChange({ type: 'remove', node: leader });
  c.settle();
  assert.equal(c.node(leader).raft.status().role, 'follower');
  const [handoff] = traced(c, 'timeoutNow', (m) => m.from === leader);
  assert.ok(handoff !== undefined && [a, b].includes(handoff.to));
  assert.equal(c.leader(), handoff.to, 'elected within the same round of messages, no timeout');
  assert.equal(c.node(handoff.to).raft.status().term, term + 1);
  c.tick(1);
  for (const id of [a, b]) assert.deepEqual(c.node(id).raft.status().config.voters, [a, b].sort());
});

test('a removed leader never campaigns afterwards and the new cluster keeps working', () => {
  // §4.2.2 / §4.2.3: the old leader is no longer a member, so it stays quiet while the others carry on.
  const { c, leader, a, b } = cluster();
  c.node(leader).raft.proposeConfChange({ type: 'remove', node: leader });
  c.settle();
  const next = c.leader();
  assert.ok(next !== null && next !== leader);
  const mark = c.trace.length;
  c.tick(60);
  const fromOld = c.trace.slice(mark).filter((m) => m.from === leader);
  assert.deepEqual(fromOld, [], 'not a single message from the removed leader');
  c.node(next).raft.propose(enc('y'));
  c.settle();
  c.tick(1);
  const commit = c.node(next).raft.status().commit;
  assert.equal(commit, c.node(next).raft.status().lastIndex);
  for (const id of [a, b]) assert.equal(c.node(id).raft.status().commit, commit);
  assert.equal(c.leader(), next);
});
