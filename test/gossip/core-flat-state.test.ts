// The flat (typed-array) state behind the core: the broadcast queue's key heap, its dead keys,
// its renumbering of ids before they overflow, name ids beyond its first key span, and the node
// table's reuse of the slots of forgotten members. The order of everything must match what
// objects would give.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BroadcastQueue } from '../../src/gossip/core/broadcast-queue.ts';
import { heapPop, heapPush } from '../../src/gossip/core/key-heap.ts';
import { NameIds } from '../../src/gossip/core/name-ids.ts';
import { NodeTable } from '../../src/gossip/core/node-table.ts';
import { NodeState } from '../../src/gossip/messages.ts';
import type { GossipMessage } from '../../src/gossip/messages.ts';
import { aliveOf } from '../../src/gossip/sim/testkit.ts';
import { Prng } from '../../src/sim/prng.ts';

const user = (n: number): GossipMessage => ({ type: 'user', body: new Uint8Array([n & 0xff]) });

test('the key heap pops every key, largest first', () => {
  const rng = new Prng(3);
  const heap: number[] = [];
  const keys: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const k = rng.int(2 ** 30) * 2 ** 20 + i; // distinct, many beyond 2^31
    keys.push(k);
    heapPush(heap, k);
    if (i % 3 === 0) {
      const max = Math.max(...keys);
      keys.splice(keys.indexOf(max), 1);
      assert.equal(heapPop(heap), max);
    }
  }
  keys.sort((a, b) => b - a);
  const popped: number[] = [];
  for (let k = heapPop(heap); k !== -1; k = heapPop(heap)) popped.push(k);
  assert.deepEqual(popped, keys);
  assert.equal(heapPop([]), -1);
});

test('a replaced message leaves a dead key that never comes back', () => {
  const q = new BroadcastQueue(100);
  q.queue('a', user(1), 10);
  q.queue('b', user(2), 10);
  q.queue('a', user(3), 10); // the first message's key is dead
  assert.equal(q.length, 2);
  assert.deepEqual(q.take(2, 1000, 1, 255), [user(3), user(2)]);
  assert.equal(q.length, 0);
  assert.deepEqual(q.take(2, 1000, 1, 255), []);
});

test('ids are renumbered before they run out, keeping newest-first order', () => {
  const q = new BroadcastQueue(100, new NameIds(), 50);
  q.queue('big', user(99), 40); // id 1
  q.take(2, 1000, 5, 255); // once sent: a tier of its own
  for (let i = 0; i < 44; i++) q.queue(['a', 'b', 'c', 'd'][i % 4] ?? 'a', user(i), 10);
  // The last news in the reverse of the slots' order (a, b, c, d), ids 46 to 49.
  ['d', 'c', 'b', 'a'].forEach((name, i) => q.queue(name, user(50 + i), 10));
  q.queue('e', user(60), 10); // id 50: renumbers the others first
  assert.equal(q.length, 6);
  assert.deepEqual(q.take(2, 1000, 5, 255), [60, 53, 52, 51, 50, 99].map(user));
});

test('name ids beyond the first key span re-key the queue without losing order', () => {
  const ids = new NameIds();
  for (let i = 0; i < 3000; i++) ids.retain(`x${i}`);
  const q = new BroadcastQueue(100, ids);
  q.queue('x1', user(1), 10);
  q.queue('x2', user(2), 10);
  q.queue('x1', user(3), 10); // a dead key for x1 before the re-key
  q.queue('far', user(4), 10); // name id 3000: past the first span
  q.queue('x2999', user(5), 10);
  assert.deepEqual(q.take(2, 1000, 1, 255), [5, 4, 3, 2].map(user));
  assert.equal(q.length, 0);
});

test('a size that is not a 32-bit unsigned integer is a caller bug, and changes nothing', () => {
  const names = new NameIds();
  const q = new BroadcastQueue(10, names);
  q.queue('a', user(1), 10);
  assert.throws(() => q.queue('a', user(2), 10.5), /size/);
  assert.throws(() => q.queue('b', user(3), -1), /size/);
  assert.equal(q.length, 1);
  assert.equal(names.find('b'), undefined);
  assert.deepEqual(q.take(2, 1000, 1, 255), [user(1)]);
});

test('a forgotten member frees its slot for the next newcomer', () => {
  const names = new NameIds();
  const table = new NodeTable(new Prng(1), names);
  const a = table.add(aliveOf(1, 1).body, 1, NodeState.alive, 0);
  const b = table.add(aliveOf(2, 1).body, 1, NodeState.dead, 0);
  // A probe round's end forgets members dead for longer than the reap time.
  let probed = 0;
  for (let i = 0; i < 3; i++) if (table.nextProbeTarget('n0', 10_000, 5000) !== -1) probed++;
  assert.ok(probed > 0);
  assert.equal(table.size, 1);
  assert.equal(table.slotOf('n2'), -1);
  assert.equal(names.find('n2'), undefined, 'its name id was released');
  const c = table.add(aliveOf(3, 7).body, 7, NodeState.suspect, 20_000);
  assert.equal(c, b, 'the freed slot is reused');
  assert.equal(table.slotOf('n3'), c);
  assert.equal(table.incarnation(c), 7);
  assert.equal(table.state(c), NodeState.suspect);
  assert.equal(table.stateChangeMs(c), 20_000);
  assert.equal(table.slotOf('n1'), a);
  assert.equal(table.name(a), 'n1');
});
