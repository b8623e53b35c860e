// Broadcast dissemination: the transmit-limited queue (retransmit limit, newest news about a
// node replacing older, fresh and large first, bounded), piggybacking within the UDP budget,
// gossip rounds to a few random peers, and gossip to the recently dead.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BroadcastQueue } from '../../src/gossip/core/broadcast-queue.ts';
import { estimateSize, packetSize, retransmitLimit } from '../../src/gossip/core/index.ts';
import type { GossipMessage } from '../../src/gossip/messages.ts';
import { aliveOf, makeCore, msgsOf, simAddr } from '../../src/gossip/sim/testkit.ts';

const user = (n: number): GossipMessage => ({ type: 'user', body: new Uint8Array(n) });

describe('transmit-limited queue', () => {
  test('a broadcast is sent retransmit-limit times, then dropped', () => {
    const q = new BroadcastQueue(100);
    q.queue('a', user(10), 10);
    let sent = 0;
    for (let i = 0; i < 10; i++) sent += q.take(2, 1000, 3, 255).length;
    assert.equal(sent, 3);
    assert.equal(q.length, 0);
  });

  test('news about a node replaces older news about it', () => {
    const q = new BroadcastQueue(100);
    let finished = 0;
    q.queue('a', user(1), 1, () => finished++);
    q.queue('a', user(2), 2);
    assert.equal(q.length, 1);
    assert.equal(finished, 1);
    assert.deepEqual(q.take(2, 1000, 5, 255), [user(2)]);
  });

  test('less-sent first, then larger, then newer; packed within the byte limit', () => {
    const q = new BroadcastQueue(100);
    q.queue('small', user(10), 10);
    q.queue('big', user(50), 50);
    q.queue('mid', user(30), 30);
    assert.deepEqual(q.take(2, 1000, 5, 255), [user(50), user(30), user(10)]);
    q.queue('fresh', user(5), 5);
    // 'fresh' has not been sent yet, so it goes before the larger, once-sent ones.
    assert.deepEqual(q.take(2, 40, 5, 255), [user(5), user(30)]);
    assert.deepEqual(q.take(2, 1000, 5, 1), [user(50)], 'at most maxParts messages');
  });

  test('bounded: past the cap the most-sent messages are dropped first', () => {
    const q = new BroadcastQueue(2);
    q.queue('a', user(1), 1);
    q.take(2, 1000, 5, 255);
    q.queue('b', user(1), 1);
    q.queue('c', user(1), 1);
    assert.equal(q.length, 2);
    assert.equal(q.has('a'), false);
  });

  test('the limit grows with log10 of the cluster size', () => {
    assert.equal(retransmitLimit(3, 0), 0);
    assert.equal(retransmitLimit(3, 1), 3);
    assert.equal(retransmitLimit(3, 99), 6);
    assert.equal(retransmitLimit(4, 1000), 16);
  });
});

describe('piggybacking and gossip rounds', () => {
  /** Core 0 with `n - 1` peers, each with meta of `metaBytes` so messages are sizable. */
  function crowded(n: number, metaBytes: number) {
    const core = makeCore(0);
    for (let i = 1; i < n; i++) {
      core.receivePacket(simAddr(1), [aliveOf(i, 1, new Uint8Array(metaBytes))]);
    }
    core.drain();
    return core;
  }

  test('every packet stays within udpBufferSize and 255 parts', () => {
    const core = crowded(300, 100);
    for (let t = 0; t < 5000; t = core.nextTickAt()) {
      core.tick(t);
      for (const p of core.drain().packets) {
        assert.ok(packetSize(p.msgs, estimateSize) <= 1400, 'within the UDP budget');
        assert.ok(p.msgs.length <= 255);
      }
    }
  });

  test('a gossip round sends to gossipNodes distinct peers, never to ourselves', () => {
    const core = crowded(50, 0);
    core.tick(core.nextTickAt() + 199); // past the first gossip tick, whatever its phase
    const gossip = core.drain().packets.filter((p) => p.msgs[0]?.type === 'alive');
    const to = gossip.map((p) => p.to.host);
    assert.equal(to.length, 3);
    assert.equal(new Set(to).size, 3);
    assert.ok(!to.includes('10.0.0.0'));
  });

  test('pings and acks carry piggybacked broadcasts', () => {
    const core = crowded(4, 0);
    core.receivePacket(simAddr(1), [{ type: 'ping', body: { SeqNo: 1, Node: 'n0' } }]);
    const p = core.drain().packets[0];
    assert.equal(p?.msgs[0]?.type, 'ackResp');
    assert.ok((p?.msgs.length ?? 0) > 1);
  });

  test('recently dead nodes still get gossip (a chance to refute); long dead do not', () => {
    const core = makeCore(0, { gossipToTheDeadTimeMs: 5000 });
    core.receivePacket(simAddr(1), [aliveOf(1, 1)]);
    core.receivePacket(simAddr(1), [
      { type: 'dead', body: { Incarnation: 1, Node: 'n1', From: 'n9' } },
    ]);
    const gossipTo = (from: number, to: number): number => {
      let hits = 0;
      for (let t = from; t < to; t = core.nextTickAt()) {
        core.tick(t);
        // Keep something to say: fresh news about a third node every round.
        core.receivePacket(simAddr(2), [aliveOf(2, t + 1)]);
        hits += core.drain().packets.filter((p) => p.to.host === '10.0.0.1').length;
      }
      return hits;
    };
    assert.ok(gossipTo(0, 4000) > 0);
    assert.equal(gossipTo(5001, 9000), 0);
  });

  test('dead news spreads once it is heard', () => {
    const core = makeCore(0);
    for (let i = 1; i < 5; i++) core.receivePacket(simAddr(1), [aliveOf(i, 1)]);
    core.receivePacket(simAddr(1), [
      { type: 'dead', body: { Incarnation: 1, Node: 'n3', From: 'n1' } },
    ]);
    core.drain();
    let seen = 0;
    for (let t = 0; t < 10_000; t = core.nextTickAt()) {
      core.tick(t);
      seen += msgsOf(core.drain().packets, 'dead').length;
    }
    assert.equal(seen, retransmitLimit(4, 5));
  });
});
