import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appliedData, Cluster, enc } from './harness.ts';

test('a three-node cluster elects a leader and commits a proposal on every node', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  const leader = c.electLeader();
  c.node(leader).raft.propose(enc('x=1'));
  c.settle();
  c.tick(2);
  for (const n of c.nodes.values()) assert.deepEqual(appliedData(n), ['x=1']);
});
