// The UDP + TCP shell on loopback: between two of our transports, and at the packet level
// against a real memberlist node (interop/bin/memberlist-peer): a UDP ping gets Go's ack, a
// TCP push/pull gets Go's member list and makes Go see us, with and without encryption and
// compression, and garbage never crashes anything.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { after, describe, test } from 'node:test';
import type { GossipAddress, GossipMessage } from '../../src/gossip/messages.ts';
import { GossipTransport } from '../../src/gossip/net/transport.ts';
import { Keyring, StreamDecoder, type WireOptions } from '../../src/gossip/wire/index.ts';
import { GoPeer, freePort, killAllPeers, sleep } from '../interop/go.ts';

after(() => {
  killAllPeers();
});

const LOOP = Uint8Array.of(127, 0, 0, 1);
const VSN = [1, 5, 2, 0, 0, 0];

interface Inbox {
  packets: { from: GossipAddress; msgs: GossipMessage[] }[];
  streams: GossipMessage[];
}

async function transport(
  wire: WireOptions,
  reply?: (m: GossipMessage) => GossipMessage | null,
): Promise<{ t: GossipTransport; inbox: Inbox }> {
  const inbox: Inbox = { packets: [], streams: [] };
  const t = await GossipTransport.listen(
    { host: '127.0.0.1', port: 0, wire, tcpTimeoutMs: 3000 },
    {
      onPacket: (from, msgs) => {
        inbox.packets.push({ from, msgs });
      },
      onStream: (_from, m) => {
        inbox.streams.push(m);
        return reply === undefined ? null : reply(m);
      },
    },
  );
  return { t, inbox };
}

async function until<T>(what: string, ms: number, f: () => T | undefined): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(20);
  }
}

function selfState(name: string, port: number): GossipMessage {
  return {
    type: 'pushPull',
    body: {
      header: { Nodes: 1, UserStateLen: 8, Join: true },
      nodes: [
        {
          Name: name,
          Addr: LOOP,
          Port: port,
          Meta: new Uint8Array(0),
          Incarnation: 1,
          State: 0,
          Vsn: VSN,
        },
      ],
      userState: new TextEncoder().encode('ts-state'),
    },
  };
}

describe('transport to transport', () => {
  test('packets (compound, CRC, LZW, AES) and a stream exchange', async () => {
    const keyring = new Keyring(new Uint8Array(32).fill(7));
    const wire = { keyring, compression: true };
    const a = await transport(wire);
    const b = await transport(wire, (m) =>
      m.type === 'ping'
        ? { type: 'ackResp', body: { SeqNo: m.body.SeqNo, Payload: new Uint8Array(0) } }
        : null,
    );
    try {
      const msgs: GossipMessage[] = Array.from({ length: 60 }, (_, i) => ({
        type: 'suspect',
        body: { Incarnation: i, Node: `node-${String(i)}-${'x'.repeat(30)}`, From: 'a' },
      }));
      a.t.send(b.t.address, msgs, { crc: true });
      await until('all 60 messages', 3000, () =>
        b.inbox.packets.flatMap((p) => p.msgs).length === 60 ? true : undefined,
      );
      assert.deepEqual(
        b.inbox.packets.flatMap((p) => p.msgs),
        msgs,
      );
      assert.ok(b.inbox.packets.length > 1, 'split into several datagrams');
      assert.equal(b.inbox.packets[0]?.from.port, a.t.port, 'sent from the gossip port');
      const reply = await a.t.request(b.t.address, {
        type: 'ping',
        body: { SeqNo: 77, Node: 'b' },
      });
      assert.deepEqual(reply, { type: 'ackResp', body: { SeqNo: 77, Payload: new Uint8Array(0) } });
      // a wrong key: dropped and counted, no crash
      const c = await transport({ keyring: new Keyring(new Uint8Array(16).fill(1)) });
      c.t.send(b.t.address, [{ type: 'nackResp', body: { SeqNo: 1 } }]);
      await until('bad packet counted', 2000, () => (b.t.stats.badPackets > 0 ? true : undefined));
      await assert.rejects(
        c.t.request(b.t.address, { type: 'ping', body: { SeqNo: 1, Node: '' } }),
        /remote error|decrypt|No installed keys/,
      );
      await c.t.close();
    } finally {
      await a.t.close();
      await b.t.close();
    }
  });

  test('garbage datagrams and streams are dropped; the transport keeps working', async () => {
    const b = await transport({}, () => ({ type: 'nackResp', body: { SeqNo: 5 } }));
    const sock = createSocket('udp4');
    try {
      for (let i = 0; i < 50; i++) {
        const junk = new Uint8Array(1 + (i % 40)).map((_, j) => (i * 31 + j * 17) & 0xff);
        sock.send(junk, b.t.port, '127.0.0.1');
      }
      sock.send(Uint8Array.of(), b.t.port, '127.0.0.1');
      await until('junk counted', 2000, () => (b.t.stats.badPackets >= 45 ? true : undefined));
      // a garbage stream gets memberlist's errResp back
      const errReply = await new Promise<GossipMessage | string>((res) => {
        const s = connect(b.t.port, '127.0.0.1', () => {
          s.write(Uint8Array.of(0x2a, 1, 2, 3));
        });
        const d = new StreamDecoder();
        s.on('data', (c: Buffer) => {
          const st = d.push(c);
          if (st.state === 'done') res(st.message);
        });
        s.on('close', () => {
          res('closed');
        });
      });
      assert.equal(typeof errReply === 'object' && errReply.type, 'err');
      // still answers
      const client = await transport({});
      const ok = await client.t.request(b.t.address, {
        type: 'ping',
        body: { SeqNo: 5, Node: '' },
      });
      await client.t.close();
      assert.deepEqual(ok, { type: 'nackResp', body: { SeqNo: 5 } });
    } finally {
      sock.close();
      await b.t.close();
    }
  });

  test('a stream to a closed port rejects; timeouts are bounded', async () => {
    const a = await transport({});
    try {
      const port = await freePort();
      await assert.rejects(
        a.t.request({ host: '127.0.0.1', port }, { type: 'ping', body: { SeqNo: 1, Node: '' } }),
      );
      const silent = await transport({}); // answers nothing: onStream returns null -> closes
      await assert.rejects(
        a.t.request(silent.t.address, { type: 'ping', body: { SeqNo: 1, Node: '' } }, 1000),
        /without a reply|closed before a message/,
      );
      await silent.t.close();
    } finally {
      await a.t.close();
    }
  });
});

const variants: { name: string; key?: Uint8Array; compression: boolean; protocol?: number }[] = [
  { name: 'plain', compression: false },
  { name: 'compressed', compression: true },
  {
    name: 'AES-128 + compression',
    key: new Uint8Array(16).map((_, i) => i * 3),
    compression: true,
  },
  {
    name: 'AES-256, protocol 1 (encryption v0)',
    key: new Uint8Array(32).map((_, i) => 255 - i),
    compression: false,
    protocol: 1,
  },
];

describe('packet level against a real memberlist node', () => {
  for (const v of variants) {
    test(`${v.name}: UDP ping -> ack, TCP ping -> ack, push/pull -> member list, Go sees us`, async () => {
      const port = await freePort();
      const peer = await GoPeer.start({
        name: 'go-1',
        port,
        compression: v.compression,
        ...(v.key !== undefined ? { key: v.key } : {}),
        ...(v.protocol !== undefined ? { protocol: v.protocol } : {}),
        userState: 'go-user-state',
      });
      const keyring = v.key === undefined ? undefined : new Keyring(v.key);
      const wire: WireOptions = {
        keyring,
        compression: v.compression,
        protocolVersion: v.protocol ?? 2,
      };
      const ours = await transport(wire, (m) =>
        m.type === 'ping'
          ? { type: 'ackResp', body: { SeqNo: m.body.SeqNo, Payload: new Uint8Array(0) } }
          : null,
      );
      const goAddr: GossipAddress = { host: '127.0.0.1', port };
      try {
        // UDP ping, with our address so Go answers directly
        for (const crc of [false, true]) {
          const seq = crc ? 4242 : 4241;
          ours.t.send(
            goAddr,
            [
              {
                type: 'ping',
                body: {
                  SeqNo: seq,
                  Node: 'go-1',
                  SourceAddr: LOOP,
                  SourcePort: ours.t.port,
                  SourceNode: 'ts-1',
                },
              },
            ],
            { crc },
          );
          const ack = await until(`ack ${String(seq)}`, 3000, () =>
            ours.inbox.packets
              .flatMap((p) => p.msgs)
              .find((m) => m.type === 'ackResp' && m.body.SeqNo === seq),
          );
          assert.equal(ack.type, 'ackResp');
        }
        // a ping for another name is ignored by memberlist
        ours.t.send(goAddr, [{ type: 'ping', body: { SeqNo: 999, Node: 'not-go-1' } }]);
        // TCP ping
        const tcpAck = await ours.t.request(goAddr, {
          type: 'ping',
          body: { SeqNo: 31337, Node: 'go-1' },
        });
        assert.deepEqual(tcpAck, {
          type: 'ackResp',
          body: { SeqNo: 31337, Payload: new Uint8Array(0) },
        });
        // push/pull join
        const reply = await ours.t.request(goAddr, selfState('ts-1', ours.t.port));
        assert.equal(reply.type, 'pushPull');
        if (reply.type !== 'pushPull') return;
        const goNode = reply.body.nodes.find((n) => n.Name === 'go-1');
        assert.ok(goNode !== undefined);
        assert.equal(goNode.Port, port);
        assert.deepEqual(goNode.Addr, LOOP);
        assert.equal(goNode.State, 0);
        assert.equal(goNode.Vsn.length, 6);
        assert.equal(Buffer.from(reply.body.userState).toString(), 'go-user-state');
        await peer.waitLine(
          'Go sees ts-1 join',
          5000,
          (l) => l.type === 'join' && l.node?.name === 'ts-1',
        );
        const remote = await peer.waitLine(
          'Go merged our state',
          5000,
          (l) => l.type === 'remote-state',
        );
        assert.equal(remote['join'], true);
        assert.equal(Buffer.from(String(remote['data']), 'base64').toString(), 'ts-state');
        // Go now probes us over UDP: pings addressed to our name arrive and decode. (A node
        // speaking protocol 1 assumes every peer listens on its own port, so it can't.)
        if (v.protocol !== 1) {
          await until('a ping from Go', 5000, () =>
            ours.inbox.packets
              .flatMap((p) => p.msgs)
              .find((m) => m.type === 'ping' && m.body.Node === 'ts-1'),
          );
        }
        assert.equal(ours.t.stats.badPackets, 0);
        assert.equal(ours.t.stats.badStreams, 0);
      } finally {
        await ours.t.close();
        await peer.stop();
      }
    });
  }

  test('a mismatched key is refused both ways', async () => {
    const port = await freePort();
    const peer = await GoPeer.start({ name: 'go-k', port, key: new Uint8Array(16).fill(1) });
    const ours = await transport({ keyring: new Keyring(new Uint8Array(16).fill(2)) });
    try {
      await assert.rejects(
        ours.t.request({ host: '127.0.0.1', port }, selfState('ts-k', ours.t.port)),
      );
      ours.t.send({ host: '127.0.0.1', port }, [
        {
          type: 'ping',
          body: { SeqNo: 1, Node: 'go-k', SourceAddr: LOOP, SourcePort: ours.t.port },
        },
      ]);
      await sleep(500);
      assert.equal(ours.inbox.packets.length, 0);
      assert.equal(
        peer.lines.some((l) => l.type === 'join' && l.node?.name === 'ts-k'),
        false,
      );
    } finally {
      await ours.t.close();
      await peer.stop();
    }
  });
});
