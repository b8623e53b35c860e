// The cluster checks flag what they exist for: a second bootstrap, an agent switching initial
// configurations, and a voter change that leaves fewer healthy voters than a quorum.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClusterChecks, type WorldView } from '../../src/cluster-sim/index.ts';
import type { Entry } from '../../src/raft/index.ts';

function checks(): ClusterChecks {
  return new ClusterChecks((d) => {
    throw new Error(d);
  });
}

function confEntry(self: string, voters: string[]): Entry {
  return {
    type: 'conf',
    term: 1,
    index: 1,
    change: { type: 'addVoter', node: self },
    config: { voters, learners: [] },
  };
}

test('a second bootstrap with another cluster id is two clusters', () => {
  const c = checks();
  c.onBootstrap({ agent: 'n1', voters: ['n1', 'n2', 'n3'], clusterId: 'a', atMs: 1 });
  assert.throws(
    () => c.onBootstrap({ agent: 'n2', voters: ['n2', 'n3', 'n4'], clusterId: 'b', atMs: 2 }),
    /two clusters/,
  );
});

test('an agent storing entry 1 of another configuration is caught', () => {
  const c = checks();
  c.onPersistEntries('n2', [confEntry('n1', ['n1', 'n2', 'n3'])]);
  c.onPersistEntries('n2', [confEntry('n1', ['n1', 'n2', 'n3'])]);
  assert.equal(c.originCount(), 1);
  assert.throws(
    () => c.onPersistEntries('n2', [confEntry('n2', ['n2', 'n3', 'n4'])]),
    /two initial configurations/,
  );
});

test('removing a voter is fine with a healthy quorum left and caught without one', () => {
  const down = new Set(['n3']);
  const world: WorldView = { healthy: (id) => !down.has(id) };
  const c = checks();
  const base = { atMs: 5, leader: 'n1', term: 2, type: 'remove' as const, reason: 'test' };
  const ok = c.onVoterChange({ ...base, node: 'n3', votersAfter: ['n1', 'n2'] }, world, 0);
  assert.equal(ok.healthyTolerant.length, 2);
  assert.throws(
    () => c.onVoterChange({ ...base, node: 'n2', votersAfter: ['n1', 'n3'] }, world, 0),
    /autopilot below quorum/,
  );
  assert.equal(c.changes.length, 2);
});
