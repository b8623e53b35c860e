import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStorage, type Entry } from '../../src/raft/index.ts';
import { Cluster, enc } from './harness.ts';

test('a learner added when nothing else is proposed still receives the log', () => {
  // §4.2.1: the leader probes a new member even when it has no new entries to send it; the
  // conf entry itself is the leader's last entry, so only an empty probe starts replication.
  const c = new Cluster([]);
  const st = new MemoryStorage();
  const config = { voters: ['n1'], learners: [] };
  const first: Entry = {
    type: 'conf',
    term: 1,
    index: 1,
    change: { type: 'addVoter', node: 'n1' },
    config,
  };
  st.append([first]);
  st.setHardState({ term: 1, vote: 'n1', commit: 1 });
  c.addNode('n1', st);
  c.electLeader();
  c.node('n1').raft.propose(enc('x'));
  c.settle();
  c.addNode('n2', new MemoryStorage());
  c.node('n1').raft.proposeConfChange({ type: 'addLearner', node: 'n2' });
  c.settle();
  c.tick(5);
  const leader = c.node('n1').raft.status();
  assert.equal(leader.progress?.['n2']?.match, leader.lastIndex);
  assert.equal(c.node('n2').raft.status().lastIndex, leader.lastIndex);
});
