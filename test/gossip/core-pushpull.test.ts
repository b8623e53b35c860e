// Push/pull anti-entropy and joining: the state exchange over TCP, memberlist's merge rules
// (remote dead only makes us suspect), protocol-version checks, the periodic exchange, and the
// TCP ping answer.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pushPullScaleMs } from '../../src/gossip/core/index.ts';
import type { GossipMessage, PushNodeState, PushPull } from '../../src/gossip/messages.ts';
import { NodeState } from '../../src/gossip/messages.ts';
import { aliveOf, makeCore, protocolVsn, simAddr, Wiring } from '../../src/gossip/sim/testkit.ts';

function remoteNode(i: number, state: PushNodeState['State'], inc = 1): PushNodeState {
  const { Node: Name, Addr, Port, Meta, Vsn } = aliveOf(i, inc).body;
  return { Name, Addr, Port, Meta, Vsn, Incarnation: inc, State: state };
}

function pushPull(nodes: PushNodeState[], join = false): GossipMessage {
  return {
    type: 'pushPull',
    body: {
      header: { Nodes: nodes.length, UserStateLen: 0, Join: join },
      nodes,
      userState: new Uint8Array(0),
    },
  };
}

describe('join', () => {
  test('join push-pulls our state (Join set) with every address given', () => {
    const core = makeCore(0);
    core.drain();
    core.join([simAddr(1), simAddr(2)]);
    const { streams } = core.drain();
    assert.deepEqual(
      streams.map((s) => s.to.host),
      ['10.0.0.1', '10.0.0.2'],
    );
    const msg = streams[0]?.msg;
    assert.equal(msg?.type, 'pushPull');
    const body = (msg as { body: PushPull }).body;
    assert.equal(body.header.Join, true);
    assert.deepEqual(
      body.nodes.map((n) => [n.Name, n.State, n.Vsn]),
      [['n0', NodeState.alive, protocolVsn]],
    );
  });

  test('the answer is merged: alive joins, left leaves, dead only becomes suspect', () => {
    const core = makeCore(0);
    core.receivePacket(simAddr(1), [aliveOf(3, 1), aliveOf(4, 1)]);
    core.drain();
    core.join([simAddr(1)]);
    const id = core.drain().streams[0]?.id ?? -1;
    const reply = pushPull([
      remoteNode(1, NodeState.alive),
      remoteNode(2, NodeState.alive),
      remoteNode(3, NodeState.dead),
      remoteNode(4, NodeState.left),
    ]);
    core.streamResult(id, reply);
    assert.equal(core.stateOf('n1'), 'alive');
    assert.equal(core.stateOf('n2'), 'alive');
    assert.equal(core.stateOf('n3'), 'suspect');
    assert.equal(core.stateOf('n4'), 'left');
    const ev = core.drain().events.map((e) => `${e.type}:${e.member.name}`);
    assert.deepEqual(ev, ['join:n1', 'join:n2', 'suspect:n3', 'leave:n4']);
  });

  test('a failed or unknown stream changes nothing', () => {
    const core = makeCore(0);
    core.join([simAddr(1)]);
    const id = core.drain().streams[0]?.id ?? -1;
    core.streamResult(id, new Error('refused'));
    core.streamResult(id + 100, pushPull([remoteNode(5, NodeState.alive)]));
    assert.equal(core.members().length, 1);
  });

  test('incompatible protocol versions are not merged', () => {
    const core = makeCore(0);
    core.join([simAddr(1)]);
    const id = core.drain().streams[0]?.id ?? -1;
    const odd = { ...remoteNode(1, NodeState.alive), Vsn: [1, 5, 7, 0, 0, 0] };
    core.streamResult(id, pushPull([odd]));
    assert.equal(core.stateOf('n1'), undefined);
  });

  test('five nodes joining one seed converge on the same member list', () => {
    const cores = [0, 1, 2, 3, 4].map((i) => makeCore(i));
    const w = new Wiring(cores);
    for (const c of cores.slice(1)) c.join([simAddr(0)]);
    w.flush();
    w.advanceTo(5000);
    for (const c of cores) {
      assert.deepEqual(
        c.members().map((m) => `${m.name}:${m.state}`),
        ['n0:alive', 'n1:alive', 'n2:alive', 'n3:alive', 'n4:alive'],
      );
    }
  });
});

describe('incoming streams', () => {
  test('a push-pull is answered with our state as it was, then merged', () => {
    const core = makeCore(0);
    core.drain();
    const reply = core.handleStream(simAddr(1), pushPull([remoteNode(1, NodeState.alive)], true));
    assert.equal(reply?.type, 'pushPull');
    const body = (reply as { body: PushPull }).body;
    assert.equal(body.header.Join, true, 'the Join flag is echoed');
    assert.deepEqual(
      body.nodes.map((n) => n.Name),
      ['n0'],
    );
    assert.equal(core.stateOf('n1'), 'alive');
  });

  test('a TCP ping is acked, unless it names another node', () => {
    const core = makeCore(0);
    const ping = (Node: string): GossipMessage => ({ type: 'ping', body: { SeqNo: 9, Node } });
    assert.deepEqual(core.handleStream(simAddr(1), ping('n0')), {
      type: 'ackResp',
      body: { SeqNo: 9, Payload: new Uint8Array(0) },
    });
    assert.equal(core.handleStream(simAddr(1), ping('n7')), null);
    assert.equal(core.handleStream(simAddr(1), { type: 'user', body: new Uint8Array(1) }), null);
  });
});

describe('periodic push-pull', () => {
  test('runs with one random alive peer, at an interval scaled by cluster size', () => {
    const core = makeCore(0, { pushPullIntervalMs: 30_000 });
    for (let i = 1; i < 40; i++) core.receivePacket(simAddr(1), [aliveOf(i, 1)]);
    core.drain();
    const times: number[] = [];
    for (let t = 0; t < 200_000; t = core.nextTickAt()) {
      core.tick(t);
      const d = core.drain();
      for (const p of d.packets) {
        for (const m of p.msgs) {
          if (m.type === 'ping') {
            core.receivePacket(p.to, [
              { type: 'ackResp', body: { SeqNo: m.body.SeqNo, Payload: new Uint8Array(0) } },
            ]);
          }
        }
      }
      for (const s of d.streams) {
        assert.equal(s.msg.type, 'pushPull');
        assert.notEqual(s.to.host, '10.0.0.0');
        times.push(t);
      }
    }
    assert.equal(pushPullScaleMs(30_000, 40), 60_000);
    assert.ok(times.length >= 3);
    for (let i = 1; i < times.length; i++)
      assert.equal((times[i] ?? 0) - (times[i - 1] ?? 0), 60_000);
  });
});
