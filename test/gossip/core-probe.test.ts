// Failure detection as memberlist does it: ping, ack timeout, indirect probes with nacks, the
// TCP fallback, suspicion on failure, and Lifeguard's health awareness.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { GossipCore } from '../../src/gossip/core/index.ts';
import type { Drained } from '../../src/gossip/core/types.ts';
import type { GossipMessage, Ping } from '../../src/gossip/messages.ts';
import { aliveOf, makeCore, msgsOf, simAddr, simHost } from '../../src/gossip/sim/testkit.ts';

/** Core 0 knowing nodes 1..n-1 as alive; its join-time output drained away. */
function knowing(n: number): GossipCore {
  const core = makeCore(0);
  const news: GossipMessage[] = [];
  for (let i = 1; i < n; i++) news.push(aliveOf(i, 1));
  core.receivePacket(simAddr(1), news);
  core.drain();
  return core;
}

/** Ticks `core` at its own deadlines until output satisfies `pred`. */
function tickUntil(core: GossipCore, pred: (d: Drained) => boolean): { t: number; d: Drained } {
  for (let steps = 0; steps < 10_000; steps++) {
    const t = core.nextTickAt();
    core.tick(t);
    const d = core.drain();
    if (pred(d)) return { t, d };
  }
  throw new Error('condition never met');
}

/** Ticks to the next probe and returns its ping and when it went out. */
function nextProbe(core: GossipCore): { t: number; ping: Ping; to: string } {
  const { t, d } = tickUntil(core, (x) => msgsOf(x.packets, 'ping').length > 0);
  const packet = d.packets.find((p) => p.msgs.some((m) => m.type === 'ping'));
  const ping = msgsOf(d.packets, 'ping')[0];
  assert.ok(ping !== undefined && packet !== undefined);
  return { t, ping: ping.body, to: packet.to.host };
}

const ack = (seq: number): GossipMessage => ({
  type: 'ackResp',
  body: { SeqNo: seq, Payload: new Uint8Array(0) },
});

describe('probe', () => {
  test('a ping carries the target name and our source address; an ack ends it quietly', () => {
    const core = knowing(4);
    const { t, ping, to } = nextProbe(core);
    assert.equal(to, simHost(Number(ping.Node.slice(1))));
    assert.equal(ping.SourceNode, 'n0');
    assert.equal(ping.SourcePort, 7946);
    core.receivePacket({ host: to, port: 7946 }, [ack(ping.SeqNo)]);
    core.tick(t + 1000);
    const d = core.drain();
    assert.equal(msgsOf(d.packets, 'indirectPing').length, 0);
    assert.equal(d.events.length, 0);
    assert.equal(core.stateOf(ping.Node), 'alive');
    assert.equal(core.healthScore(), 0);
  });

  test('no ack within probeTimeout: indirect pings to 3 peers asking for nacks, and a TCP ping', () => {
    const core = knowing(6);
    const { t, ping } = nextProbe(core);
    core.tick(t + 499);
    assert.equal(msgsOf(core.drain().packets, 'indirectPing').length, 0);
    core.tick(t + 500);
    const d = core.drain();
    const ind = msgsOf(d.packets, 'indirectPing').map((m) => m.body);
    assert.equal(ind.length, 3);
    for (const m of ind) {
      assert.equal(m.SeqNo, ping.SeqNo);
      assert.equal(m.Node, ping.Node);
      assert.equal(m.Nack, true);
    }
    const peers = d.packets.filter((p) => p.msgs[0]?.type === 'indirectPing').map((p) => p.to.host);
    assert.equal(new Set(peers).size, 3);
    assert.ok(!peers.includes(simHost(Number(ping.Node.slice(1)))));
    assert.equal(d.streams.length, 1);
    assert.equal(d.streams[0]?.msg.type, 'ping');
  });

  test('an ack relayed by a peer before the deadline counts as success', () => {
    const core = knowing(6);
    const { t, ping } = nextProbe(core);
    core.tick(t + 500);
    core.drain();
    core.tick(t + 800);
    core.receivePacket(simAddr(3), [ack(ping.SeqNo)]);
    core.tick(t + 5000);
    const d = core.drain();
    assert.equal(
      d.events.some((e) => e.type === 'suspect'),
      false,
    );
    assert.equal(core.stateOf(ping.Node), 'alive');
  });

  test('the TCP fallback ping saves a node cut off from UDP', () => {
    const core = knowing(6);
    const { t, ping } = nextProbe(core);
    core.tick(t + 500);
    const stream = core.drain().streams[0];
    assert.ok(stream !== undefined);
    core.streamResult(stream.id, ack(ping.SeqNo));
    core.tick(t + 1000);
    assert.equal(core.stateOf(ping.Node), 'alive');
    assert.equal(
      core.drain().events.some((e) => e.type === 'suspect'),
      false,
    );
  });

  test('no ack at all: the target becomes suspect at the end of the probe interval', () => {
    const core = knowing(6);
    const { t, ping } = nextProbe(core);
    core.tick(t + 999);
    assert.equal(core.stateOf(ping.Node), 'alive');
    core.tick(t + 1000);
    const d = core.drain();
    assert.equal(core.stateOf(ping.Node), 'suspect');
    assert.deepEqual(
      d.events.map((e) => [e.type, e.member.name]),
      [['suspect', ping.Node]],
    );
  });

  test('a suspect is probed with the accusation attached, so it can refute', () => {
    const core = knowing(2);
    const first = nextProbe(core);
    core.tick(first.t + 1000);
    core.drain();
    assert.equal(core.stateOf('n1'), 'suspect');
    const { d } = tickUntil(core, (x) => msgsOf(x.packets, 'ping').length > 0);
    const packet = d.packets.find((p) => p.msgs[0]?.type === 'ping');
    assert.deepEqual(
      packet?.msgs.map((m) => m.type),
      ['ping', 'suspect'],
    );
  });
});

describe('indirect probes for others', () => {
  const request = (nack: boolean): GossipMessage => ({
    type: 'indirectPing',
    body: {
      SeqNo: 77,
      Target: Uint8Array.of(10, 0, 0, 2),
      Port: 7946,
      Node: 'n2',
      Nack: nack,
      SourceAddr: Uint8Array.of(10, 0, 0, 1),
      SourcePort: 7946,
      SourceNode: 'n1',
    },
  });

  test('we ping the target and forward its ack to the requester under their seq', () => {
    const core = knowing(3);
    core.receivePacket(simAddr(1), [request(true)]);
    const d = core.drain();
    const ping = msgsOf(d.packets, 'ping')[0]?.body;
    assert.equal(ping?.Node, 'n2');
    assert.equal(d.packets[0]?.to.host, '10.0.0.2');
    core.receivePacket(simAddr(2), [ack(ping?.SeqNo ?? -1)]);
    const fwd = core.drain();
    assert.equal(fwd.packets[0]?.to.host, '10.0.0.1');
    assert.equal(msgsOf(fwd.packets, 'ackResp')[0]?.body.SeqNo, 77);
    core.tick(1000);
    assert.equal(msgsOf(core.drain().packets, 'nackResp').length, 0);
  });

  test('without an ack within probeTimeout we send a nack, when asked to', () => {
    for (const nack of [true, false]) {
      const core = knowing(3);
      core.tick(0);
      core.drain();
      core.receivePacket(simAddr(1), [request(nack)]);
      core.drain();
      core.tick(499);
      assert.equal(msgsOf(core.drain().packets, 'nackResp').length, 0);
      core.tick(500);
      const nacks = msgsOf(core.drain().packets, 'nackResp');
      assert.deepEqual(
        nacks.map((m) => m.body.SeqNo),
        nack ? [77] : [],
      );
    }
  });

  test('pings for another node name are not answered; ours are, to the source address', () => {
    const core = knowing(2);
    const ping = (node: string): GossipMessage => ({
      type: 'ping',
      body: { SeqNo: 5, Node: node, SourceAddr: Uint8Array.of(10, 9, 9, 9), SourcePort: 1234 },
    });
    core.receivePacket(simAddr(1), [ping('someone-else')]);
    assert.equal(core.drain().packets.length, 0);
    core.receivePacket(simAddr(1), [ping('n0')]);
    const p = core.drain().packets[0];
    assert.deepEqual(p?.to, { host: '10.9.9.9', port: 1234 });
    assert.equal(p?.msgs[0]?.type, 'ackResp');
  });
});

describe('awareness (Lifeguard local health)', () => {
  test('missing nacks raise the score and stretch the probe interval; acks lower it', () => {
    const core = knowing(6);
    const first = nextProbe(core);
    core.tick(first.t + 1000); // three indirect peers never nacked; the next probe starts now
    const d = core.drain();
    assert.equal(core.healthScore(), 3);
    const t = first.t + 1000;
    const second = msgsOf(d.packets, 'ping')[0]?.body;
    assert.ok(second !== undefined);
    core.tick(t + 500); // only alive peers are asked: the first target is now suspect
    const asked = msgsOf(core.drain().packets, 'indirectPing').length;
    assert.ok(asked >= 2 && asked <= 3);
    core.receivePacket(simAddr(1), [{ type: 'nackResp', body: { SeqNo: second.SeqNo } }]);
    core.tick(t + 3999);
    assert.equal(core.stateOf(second.Node), 'alive', 'interval stretched to 4 s');
    core.tick(t + 4000);
    assert.equal(core.stateOf(second.Node), 'suspect');
    assert.equal(core.healthScore(), 3 + asked - 1, 'one nack came, the others are missing');
    const third = msgsOf(core.drain().packets, 'ping')[0]?.body;
    core.receivePacket(simAddr(1), [ack(third?.SeqNo ?? -1)]);
    assert.equal(core.healthScore(), 3 + asked - 2);
  });

  test('the score never exceeds awarenessMaxMultiplier - 1', () => {
    const core = knowing(6);
    let t = nextProbe(core).t;
    for (let i = 0; i < 8; i++) {
      t += 8000;
      core.tick(t);
      core.drain();
      assert.ok(core.healthScore() <= 7);
    }
    assert.equal(core.healthScore(), 7);
  });
});
