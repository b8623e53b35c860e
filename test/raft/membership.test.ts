// Single-server membership changes and learners: thesis §4.1 (one change at a time, in effect once
// appended) and §4.2.1 (catching up new servers as non-voting members).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStorage, type ConfChange, type Entry } from '../../src/raft/index.ts';
import { Cluster, appliedData, enc } from './harness.ts';
import {
  direct,
  drain,
  elect,
  log,
  out,
  raftError,
  send,
  ticks,
  traced,
  voters,
} from './helpers.ts';

const three = voters('n1', 'n2', 'n3');

/** Cluster n1..n3 plus an empty n4 that has been added as a learner and caught up. */
function withLearner() {
  const c = new Cluster(['n1', 'n2', 'n3']);
  const leader = c.electLeader();
  c.node(leader).raft.propose(enc('before'));
  c.settle();
  c.addNode('n4', new MemoryStorage());
  c.node(leader).raft.proposeConfChange({ type: 'addLearner', node: 'n4' });
  c.settle();
  c.tick(1);
  return { c, leader };
}

/** A direct leader of term 2 over `n1..n3` whose no-op (index 1) is committed. */
function committedLeader() {
  const n = direct('n1', three, { term: 1 });
  elect(n, ['n2']);
  send(n, 'appResp', { from: 'n2', term: 2, success: true, index: 1, hintIndex: 0, hintTerm: 0 });
  drain(n);
  assert.equal(n.raft.status().commit, 1);
  return n;
}

test('a learner added to the cluster receives the whole log', () => {
  // §4.2.1: a new server joins as a non-voting member and the leader replicates entries to it.
  const { c, leader } = withLearner();
  const n4 = c.node('n4');
  assert.deepEqual(appliedData(n4), ['before', 'conf:addLearner:n4']);
  assert.equal(n4.raft.status().lastIndex, c.node(leader).raft.status().lastIndex);
  for (const n of c.nodes.values()) {
    assert.deepEqual(n.raft.status().config, { voters: ['n1', 'n2', 'n3'], learners: ['n4'] });
  }
});

test('a learner does not count toward commitment', () => {
  // §4.2.1: non-voting members are not considered for majorities.
  const c = new Cluster(['n1', 'n2', 'n3'], {}, { voters: ['n1', 'n2'], learners: ['n3'] });
  c.node('n1').raft.campaign();
  c.settle();
  assert.equal(c.leader(), 'n1');
  c.isolate('n2');
  const index = c.node('n1').raft.propose(enc('x'));
  c.settle();
  assert.equal(c.node('n3').raft.status().lastIndex, index, 'the learner stored it');
  assert.ok(c.node('n1').raft.status().commit < index, 'but n1 + learner is not a majority');
  c.heal();
  c.tick(1);
  assert.equal(c.node('n1').raft.status().commit, index);
});

test('a learner is never asked to vote and never campaigns', () => {
  // §4.2.1: a non-voting member neither votes nor starts elections.
  const { c, leader } = withLearner();
  c.isolate('n4');
  c.tick(60);
  c.heal();
  c.isolate(leader);
  c.tick(60);
  const votesToOrFrom = [...traced(c, 'preVote'), ...traced(c, 'vote')].filter(
    (m) => m.from === 'n4' || m.to === 'n4',
  );
  assert.deepEqual(votesToOrFrom, []);
  assert.equal(c.node('n4').raft.status().role, 'follower');
  assert.notEqual(c.leader(), 'n4');
});

test('a learner ignores TimeoutNow', () => {
  // §3.10 with §4.2.1: only a voter can be made to campaign.
  const n = direct('n4', { voters: ['n1', 'n2', 'n3'], learners: ['n4'] }, { term: 1 });
  send(n, 'timeoutNow', { from: 'n1', term: 1 });
  assert.deepEqual([n.raft.status().role, n.raft.status().term], ['follower', 1]);
  ticks(n, 100);
  assert.deepEqual(out(n), []);
});

test('a caught-up learner is promoted to voter and then takes part in elections', () => {
  // §4.2.1: once the new server has caught up, the configuration change that makes it a voter is proposed.
  const { c, leader } = withLearner();
  c.node(leader).raft.proposeConfChange({ type: 'promote', node: 'n4' });
  c.settle();
  c.tick(1);
  for (const n of c.nodes.values()) {
    assert.deepEqual(n.raft.status().config, { voters: ['n1', 'n2', 'n3', 'n4'], learners: [] });
  }
  c.isolate(leader);
  for (let i = 0; i < 100 && (c.leader() === leader || c.leader() === null); i++) c.tick();
  const next = c.leader();
  assert.ok(next !== null && next !== leader);
  const term = c.node(next).raft.status().term;
  const n4Votes = traced(c, 'vote', (m) => m.term === term && (m.from === 'n4' || m.to === 'n4'));
  assert.ok(n4Votes.length > 0, 'n4 campaigned or was asked for its vote');
});

test('a configuration takes effect on a server as soon as its entry is appended', () => {
  // §4.1: a server always uses the latest configuration in its log, committed or not.
  const n = direct('n1', three, { term: 2 });
  const conf: Entry = {
    type: 'conf',
    term: 2,
    index: 1,
    change: { type: 'addVoter', node: 'n4' },
    config: voters('n1', 'n2', 'n3', 'n4'),
  };
  send(n, 'app', { from: 'n2', term: 2, prevIndex: 0, prevTerm: 0, entries: [conf], commit: 0 });
  assert.deepEqual(n.raft.status().config.voters, ['n1', 'n2', 'n3', 'n4']);
  assert.equal(n.raft.status().commit, 0);
  // A new leader overwrites the uncommitted conf entry: the previous configuration is back.
  send(n, 'app', { from: 'n3', term: 3, prevIndex: 0, prevTerm: 0, entries: log(3), commit: 0 });
  assert.deepEqual(n.raft.status().config.voters, ['n1', 'n2', 'n3']);
});

test('a leader’s quorum changes as soon as it appends the change', () => {
  // §4.1: the leader counts the new configuration's majority from the moment it appends the entry.
  const n = committedLeader();
  const index = n.raft.proposeConfChange({ type: 'addVoter', node: 'n4' });
  drain(n);
  send(n, 'appResp', { from: 'n2', term: 2, success: true, index, hintIndex: 0, hintTerm: 0 });
  assert.equal(n.raft.status().commit, 1, '2 of 4 voters is not a majority');
  send(n, 'appResp', { from: 'n4', term: 2, success: true, index, hintIndex: 0, hintTerm: 0 });
  assert.equal(n.raft.status().commit, index);
});

test('only one configuration change may be uncommitted at a time', () => {
  // §4.1: a change must be committed before the next one starts.
  const n = committedLeader();
  const index = n.raft.proposeConfChange({ type: 'addLearner', node: 'n4' });
  const e = raftError(
    () => n.raft.proposeConfChange({ type: 'addLearner', node: 'n5' }),
    'CONF_CHANGE_PENDING',
  );
  assert.equal(e.leader, 'n1');
  assert.equal(n.raft.status().lastIndex, index, 'nothing was appended');
  drain(n);
  send(n, 'appResp', { from: 'n2', term: 2, success: true, index, hintIndex: 0, hintTerm: 0 });
  assert.equal(n.raft.proposeConfChange({ type: 'addLearner', node: 'n5' }), index + 1);
});

test('a new leader accepts no change before committing an entry of its own term', () => {
  // §4.1 (the single-server-change bug fix): a leader may not append a configuration entry until it has committed one in its term.
  const n = direct('n1', three, { term: 1 });
  elect(n, ['n2']);
  raftError(
    () => n.raft.proposeConfChange({ type: 'addLearner', node: 'n4' }),
    'CONF_CHANGE_PENDING',
  );
  drain(n);
  send(n, 'appResp', { from: 'n2', term: 2, success: true, index: 1, hintIndex: 0, hintTerm: 0 });
  assert.equal(n.raft.proposeConfChange({ type: 'addLearner', node: 'n4' }), 2);
});

test('changes that are no-ops or would leave no voters are INVALID_CONF_CHANGE', () => {
  // §4.1: every change adds or removes exactly one server, and a cluster needs a voter.
  const n = committedLeader();
  const last = n.raft.status().lastIndex;
  const invalid: ConfChange[] = [
    { type: 'addVoter', node: 'n2' },
    { type: 'addLearner', node: 'n3' },
    { type: 'promote', node: 'n2' },
    { type: 'promote', node: 'n9' },
    { type: 'remove', node: 'n9' },
    { type: 'addVoter', node: '' },
  ];
  for (const change of invalid)
    raftError(() => n.raft.proposeConfChange(change), 'INVALID_CONF_CHANGE');
  assert.equal(n.raft.status().lastIndex, last);
  const solo = direct('n1', voters('n1'));
  solo.raft.campaign();
  drain(solo);
  raftError(
    () => solo.raft.proposeConfChange({ type: 'remove', node: 'n1' }),
    'INVALID_CONF_CHANGE',
  );
});
