// memberlist's state rules: alive/suspect/dead news by incarnation, refuting news about
// ourselves, graceful leave, suspicion timeouts shrinking with confirmations, and reclaiming a
// dead node's name.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { GossipCore } from '../../src/gossip/core/index.ts';
import type { Drained } from '../../src/gossip/core/types.ts';
import type { GossipMessage } from '../../src/gossip/messages.ts';
import { aliveOf, makeCore, msgsOf, simAddr } from '../../src/gossip/sim/testkit.ts';

const from = simAddr(9);
const suspect = (
  node: string,
  inc: number,
  by: string,
): Extract<GossipMessage, { type: 'suspect' }> => ({
  type: 'suspect',
  body: { Incarnation: inc, Node: node, From: by },
});
const dead = (node: string, inc: number, by: string): Extract<GossipMessage, { type: 'dead' }> => ({
  type: 'dead',
  body: { Incarnation: inc, Node: node, From: by },
});
const events = (d: Drained): string[] => d.events.map((e) => `${e.type}:${e.member.name}`);

/** Core 0 knowing nodes 1..n-1 alive at incarnation 1. */
function knowing(n: number, config = {}): GossipCore {
  const core = makeCore(0, config);
  for (let i = 1; i < n; i++) core.receivePacket(from, [aliveOf(i, 1)]);
  core.drain();
  return core;
}

/**
 * Runs core's timers up to `untilMs`, acking every ping as if all peers were alive (an ack
 * never clears a suspicion; only a refutation does). Returns everything it sent.
 */
function run(core: GossipCore, untilMs: number): Drained[] {
  const out: Drained[] = [];
  for (let t = core.nextTickAt(); t <= untilMs; t = core.nextTickAt()) {
    core.tick(t);
    const d = core.drain();
    out.push(d);
    const acks = msgsOf(d.packets, 'ping').map((m): GossipMessage => ({
      type: 'ackResp',
      body: { SeqNo: m.body.SeqNo, Payload: new Uint8Array(0) },
    }));
    core.receivePacket(from, acks);
  }
  core.tick(untilMs);
  return out;
}

describe('alive news', () => {
  test('a new node joins and the news is passed on', () => {
    const core = makeCore(0);
    core.drain();
    core.receivePacket(from, [aliveOf(1, 1, Uint8Array.of(7))]);
    const d = core.drain();
    assert.deepEqual(events(d), ['join:n1']);
    assert.deepEqual(d.events[0]?.member.meta, Uint8Array.of(7));
    const sent = run(core, 1000).flatMap((x) => msgsOf(x.packets, 'alive'));
    assert.ok(sent.some((m) => m.body.Node === 'n1'));
  });

  test('stale or repeated incarnations change nothing; newer meta is an update', () => {
    const core = knowing(2);
    core.receivePacket(from, [aliveOf(1, 1, Uint8Array.of(9))]);
    assert.deepEqual(events(core.drain()), []);
    core.receivePacket(from, [aliveOf(1, 2, Uint8Array.of(9))]);
    assert.deepEqual(events(core.drain()), ['update:n1']);
    assert.equal(core.members().find((m) => m.name === 'n1')?.incarnation, 2);
  });

  test('alive with a higher incarnation clears a suspicion', () => {
    const core = knowing(4);
    core.receivePacket(from, [suspect('n1', 1, 'n2')]);
    assert.equal(core.stateOf('n1'), 'suspect');
    core.receivePacket(from, [aliveOf(1, 1)]);
    assert.equal(core.stateOf('n1'), 'suspect', 'same incarnation does not refute');
    core.receivePacket(from, [aliveOf(1, 2)]);
    assert.equal(core.stateOf('n1'), 'alive');
    assert.deepEqual(events(core.drain()), ['suspect:n1', 'alive:n1']);
    run(core, 100_000);
    assert.equal(core.stateOf('n1'), 'alive', 'the suspicion timer was cancelled');
  });

  test('another address for a live name is a conflict and is ignored', () => {
    const core = knowing(2);
    const body = { ...aliveOf(1, 5).body, Addr: Uint8Array.of(192, 168, 0, 1) };
    core.receivePacket(from, [{ type: 'alive', body }]);
    const n1 = core.members().find((m) => m.name === 'n1');
    assert.equal(n1?.addr.host, '10.0.0.1');
    assert.equal(n1?.incarnation, 1);
  });
});

describe('suspicion', () => {
  test('suspect news starts a timer; with no confirmations the node dies at the max timeout', () => {
    // 6 members: k = suspicionMult - 2 = 2; min = 4 * 1 * 1 s = 4 s; max = 6 * min = 24 s.
    const core = knowing(6);
    const log = run(core, 1000);
    core.receivePacket(from, [suspect('n1', 1, 'n2')]);
    log.push(core.drain(), ...run(core, 1000 + 23_999));
    assert.equal(core.stateOf('n1'), 'suspect');
    log.push(...run(core, 1000 + 24_000), core.drain());
    assert.equal(core.stateOf('n1'), 'dead');
    assert.deepEqual(log.flatMap(events), ['suspect:n1', 'fail:n1']);
  });

  test('independent confirmations shrink the timeout (log-scaled), duplicates do not', () => {
    const core = knowing(6);
    run(core, 1000);
    core.receivePacket(from, [suspect('n1', 1, 'n2')]);
    core.receivePacket(from, [suspect('n1', 1, 'n2'), suspect('n1', 1, 'n3')]);
    core.receivePacket(from, [suspect('n1', 1, 'n3')]);
    // One confirmation: 24 s - log(2)/log(3) * 20 s = 11.381 s.
    run(core, 1000 + 11_380);
    assert.equal(core.stateOf('n1'), 'suspect');
    run(core, 1000 + 11_381);
    assert.equal(core.stateOf('n1'), 'dead');
  });

  test('k confirmations bring it to the minimum; one arriving late fires at once', () => {
    const core = knowing(6);
    run(core, 1000);
    core.receivePacket(from, [suspect('n1', 1, 'n2'), suspect('n1', 1, 'n3')]);
    run(core, 6000);
    assert.equal(core.stateOf('n1'), 'suspect');
    core.receivePacket(from, [suspect('n1', 1, 'n4')]);
    assert.equal(core.stateOf('n1'), 'dead');
  });

  test('suspect news about an older incarnation is ignored', () => {
    const core = knowing(3);
    core.receivePacket(from, [aliveOf(1, 3)]);
    core.receivePacket(from, [suspect('n1', 2, 'n2')]);
    assert.equal(core.stateOf('n1'), 'alive');
  });

  test('in a small cluster no confirmations are expected: the minimum applies at once', () => {
    const core = knowing(3); // n - 2 = 1 < k = 2, so k = 0; min = 4 s
    run(core, 0);
    core.receivePacket(from, [suspect('n1', 1, 'n2')]);
    run(core, 3999);
    assert.equal(core.stateOf('n1'), 'suspect');
    run(core, 4000);
    assert.equal(core.stateOf('n1'), 'dead');
  });
});

describe('refutation', () => {
  for (const [what, msg] of [
    ['suspect', suspect('n0', 1, 'n1')],
    ['dead', dead('n0', 4, 'n1')],
  ] as const) {
    test(`${what} news about ourselves is refuted with a higher incarnation`, () => {
      const core = knowing(3);
      core.receivePacket(from, [msg]);
      assert.equal(core.stateOf('n0'), 'alive');
      const me = core.members().find((m) => m.name === 'n0');
      assert.equal(me?.incarnation, msg.body.Incarnation + 1);
      assert.equal(core.healthScore(), 1, 'refuting costs health');
      const sent = run(core, 1000).flatMap((x) => msgsOf(x.packets, 'alive'));
      assert.ok(sent.some((m) => m.body.Node === 'n0' && m.body.Incarnation === me?.incarnation));
    });
  }

  test('alive news about ourselves with other meta is refuted too', () => {
    const core = knowing(2);
    core.receivePacket(from, [aliveOf(0, 1, Uint8Array.of(1))]);
    assert.equal(core.members().find((m) => m.name === 'n0')?.incarnation, 2);
  });
});

describe('dead news and leaving', () => {
  test('dead news kills a node; older incarnations and repeats are ignored', () => {
    const core = knowing(3);
    core.receivePacket(from, [aliveOf(1, 3)]);
    core.receivePacket(from, [dead('n1', 2, 'n2')]);
    assert.equal(core.stateOf('n1'), 'alive');
    core.receivePacket(from, [dead('n1', 3, 'n2'), dead('n1', 3, 'n2')]);
    assert.equal(core.stateOf('n1'), 'dead');
    assert.deepEqual(events(core.drain()), ['fail:n1']);
  });

  test('a node declaring itself dead has left', () => {
    const core = knowing(3);
    core.receivePacket(from, [dead('n1', 1, 'n1')]);
    assert.equal(core.stateOf('n1'), 'left');
    assert.deepEqual(events(core.drain()), ['leave:n1']);
  });

  test('leave() gossips dead-from-self until the broadcast is used up', () => {
    const core = knowing(3);
    core.leave();
    assert.equal(core.stateOf('n0'), 'left');
    assert.deepEqual(events(core.drain()), ['leave:n0']);
    assert.equal(core.leaveComplete(), false);
    const sent = run(core, 20_000).flatMap((x) => msgsOf(x.packets, 'dead'));
    // retransmitMult 4 * ceil(log10(3 + 1)) = 4 transmissions.
    assert.equal(sent.filter((m) => m.body.Node === 'n0' && m.body.From === 'n0').length, 4);
    assert.equal(core.leaveComplete(), true);
    core.receivePacket(from, [suspect('n0', 1, 'n1'), aliveOf(0, 9)]);
    assert.equal(core.stateOf('n0'), 'left', 'a leaving node does not refute');
  });

  test('leaving alone completes at once', () => {
    const core = makeCore(0);
    core.leave();
    assert.equal(core.leaveComplete(), true);
  });

  test('a dead name can be reclaimed by a new address after deadNodeReclaimTime', () => {
    const core = knowing(3, { deadNodeReclaimTimeMs: 10_000 });
    run(core, 1000);
    core.receivePacket(from, [dead('n1', 1, 'n2')]);
    core.drain();
    const moved = { ...aliveOf(1, 1).body, Addr: Uint8Array.of(10, 1, 1, 1) };
    run(core, 10_999);
    core.receivePacket(from, [{ type: 'alive', body: moved }]);
    assert.equal(core.stateOf('n1'), 'dead', 'too early');
    run(core, 11_001);
    core.receivePacket(from, [{ type: 'alive', body: moved }]);
    assert.equal(core.stateOf('n1'), 'alive');
    assert.equal(core.members().find((m) => m.name === 'n1')?.addr.host, '10.1.1.1');
    assert.deepEqual(events(core.drain()), ['join:n1']);
  });

  test('a left name can be taken over by a new address at once', () => {
    const core = knowing(3);
    core.receivePacket(from, [dead('n1', 1, 'n1')]);
    const moved = { ...aliveOf(1, 1).body, Addr: Uint8Array.of(10, 1, 1, 1) };
    core.receivePacket(from, [{ type: 'alive', body: moved }]);
    assert.equal(core.stateOf('n1'), 'alive');
  });
});

describe('forgetting the dead', () => {
  test('members dead longer than gossipToTheDeadTime are dropped at the end of a probe round', () => {
    const core = knowing(4, { gossipToTheDeadTimeMs: 5000 });
    run(core, 1000);
    core.receivePacket(from, [dead('n1', 1, 'n2')]);
    run(core, 5000);
    assert.equal(core.stateOf('n1'), 'dead', 'kept while gossip to the dead goes on');
    run(core, 20_000);
    assert.equal(core.stateOf('n1'), undefined);
    assert.equal(core.numMembers(), 3);
  });
});

describe('setMeta', () => {
  test('re-announces with a higher incarnation and reports an update', () => {
    const core = knowing(2);
    core.setMeta(Uint8Array.of(42));
    const me = core.members().find((m) => m.name === 'n0');
    assert.equal(me?.incarnation, 2);
    assert.deepEqual(me?.meta, Uint8Array.of(42));
    assert.deepEqual(events(core.drain()), ['update:n0']);
    assert.throws(() => core.setMeta(new Uint8Array(513)), RangeError);
  });
});
