// Sharing between the cores of one process: name ids are counted and reused, and cores that
// heard the same news hold one copy of each member's name, address and meta (the simulator's
// memory depends on it) while each keeps its own view of the member's state.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NodeState, type PushNodeState } from '../../src/gossip/messages.ts';
import { BroadcastQueue } from '../../src/gossip/core/broadcast-queue.ts';
import { NameIds } from '../../src/gossip/core/name-ids.ts';
import { alivePushState, aliveOfPushState } from '../../src/gossip/core/shared.ts';
import { GossipCluster } from '../../src/gossip/sim/cluster.ts';
import { aliveOf, nodeName } from '../../src/gossip/sim/testkit.ts';

test('a name id lives while someone holds it, then its number is reused', () => {
  const ids = new NameIds();
  const a = ids.retain('a');
  assert.equal(ids.retain('a'), a);
  const b = ids.retain('b');
  assert.notEqual(a, b);
  ids.release(a);
  assert.equal(ids.find('a'), a, 'one holder is left');
  ids.release(a);
  assert.equal(ids.find('a'), undefined);
  assert.equal(ids.size, 1);
  assert.equal(ids.retain('c'), a, 'the freed number is reused');
  assert.equal(ids.find('b'), b);
});

test('two queues sharing name ids: finishing in one leaves the other', () => {
  const ids = new NameIds();
  const q1 = new BroadcastQueue(100, ids);
  const q2 = new BroadcastQueue(100, ids);
  const m = aliveOf(1, 1);
  q1.queue('n1', m, 50);
  q2.queue('n1', m, 50);
  assert.deepEqual(q1.take(2, 1400, 1, 10), [m]);
  assert.equal(q1.length, 0);
  assert.equal(q1.has('n1'), false);
  assert.equal(q2.has('n1'), true);
  assert.equal(ids.find('n1') !== undefined, true, 'q2 still holds the id');
  assert.deepEqual(q2.take(2, 1400, 1, 10), [m]);
  assert.equal(ids.size, 0, 'nobody holds it any more');
});

test('a push/pull entry made from an alive body leads back to that body', () => {
  const body = aliveOf(3, 7).body;
  const s = alivePushState(body);
  assert.equal(alivePushState(body), s, 'one entry per body');
  assert.equal(s.Incarnation, 7);
  assert.equal(s.State, NodeState.alive);
  assert.equal(aliveOfPushState(s), body);
  // An entry decoded from the wire is not known: an equal body is built for it.
  const decoded: PushNodeState = { ...s };
  const built = aliveOfPushState(decoded);
  assert.notEqual(built, body);
  assert.deepEqual(built, body);
});

test('cores of a formed cluster share member data but not member state', () => {
  const cluster = new GossipCluster({ seed: 5 });
  const n = 12;
  for (let i = 0; i < n; i++) {
    cluster.addNode(i);
    if (i > 0) cluster.join(i, [0]);
  }
  cluster.runUntil(30_000);
  const views = [...Array(n).keys()].map((i) => cluster.core(i)?.members() ?? []);
  for (const v of views) assert.equal(v.length, n);
  const first = views[0] ?? [];
  for (const v of views.slice(1)) {
    for (let j = 0; j < n; j++) {
      assert.equal(v[j]?.name, first[j]?.name);
      assert.equal(v[j]?.addr, first[j]?.addr, `one address object for ${nodeName(j)}`);
      assert.equal(v[j]?.meta, first[j]?.meta);
    }
  }
  // A kill is seen by each core on its own: states stay per core.
  cluster.kill(3);
  cluster.runUntil(31_000);
  const mid = [...Array(n).keys()]
    .filter((i) => i !== 3)
    .map((i) => cluster.core(i)?.stateOf('n3'));
  cluster.runUntil(50_000);
  for (let i = 0; i < n; i++) {
    if (i !== 3) assert.equal(cluster.core(i)?.stateOf('n3'), 'dead', `node ${i}`);
  }
  // Reaped everywhere later, while the other names stay known.
  cluster.runUntil(150_000);
  for (let i = 0; i < n; i++) {
    if (i === 3) continue;
    assert.equal(cluster.core(i)?.stateOf('n3'), undefined, `node ${i} forgot n3`);
    assert.equal(cluster.core(i)?.stateOf('n4'), 'alive', `node ${i} still knows n4`);
  }
  assert.ok(mid.includes('alive') || mid.includes('suspect'), 'not all at once');
});
