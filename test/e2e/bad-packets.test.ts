// Bad input on the wire never crashes an agent: garbage, truncated and oversized gossip
// datagrams, garbage on the gossip TCP port and on the Raft port are dropped and counted
// (GET /v1/agent/metrics), and the agent keeps serving with its membership unchanged.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { after, describe, test } from 'node:test';
import { killAllChildren, mustHttp, TestCluster, waitFor, type Agent } from './cluster.ts';

interface Metrics {
  Gauges: { Name: string; Value: number }[];
  Counters: { Name: string; Count: number }[];
}

async function metrics(a: Agent): Promise<Map<string, number>> {
  const m = JSON.parse((await mustHttp(a.httpAddr, 'GET', '/v1/agent/metrics')).body) as Metrics;
  return new Map([
    ...m.Gauges.map((g): [string, number] => [g.Name, g.Value]),
    ...m.Counters.map((c): [string, number] => [c.Name, c.Count]),
  ]);
}

async function sendUdp(port: number, datagrams: Buffer[]): Promise<void> {
  const s = createSocket('udp4');
  for (const d of datagrams) {
    await new Promise<void>((resolve) => s.send(d, port, '127.0.0.1', () => resolve()));
  }
  s.close();
}

/** Writes `bytes` to a TCP port and resolves when the other side closes (or after 5 s). */
function sendTcp(port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => s.write(bytes));
    s.on('error', () => undefined);
    s.resume();
    const timer = setTimeout(() => s.destroy(), 5_000);
    s.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

describe('e2e: bad packets are dropped and counted', { timeout: 60_000 }, () => {
  const cluster = new TestCluster({ name: 'bad-packets', tickMs: 50 });

  after(async () => {
    await cluster.close();
    await killAllChildren();
  });

  test('garbage on the gossip and Raft ports leaves the agent serving', async () => {
    await cluster.diagnose(async () => {
      const a = await cluster.form(['b1']);
      const before = await metrics(a);
      assert.equal(before.get('sappers.raft.is_leader'), 1);
      assert.equal(before.get('sappers.gossip.members.alive'), 1);
      const badBefore = before.get('sappers.gossip.bad_packets') ?? -1;
      assert.ok(badBefore >= 0, 'gossip counters are reported');

      const garbage = [
        randomBytes(1),
        randomBytes(64),
        Buffer.from([0x02, 0x00]), // a ping type byte with a truncated body
        Buffer.from([0x0c, 0xff, 0xff, 0xff, 0xff]), // a CRC header with nothing behind it
        Buffer.from([0x09, 0x01]), // an encrypted-message type byte on an unencrypted agent
        randomBytes(60_000), // as large as a datagram gets here
      ];
      await sendUdp(a.spec.gossipPort, garbage);
      await sendTcp(a.spec.gossipPort, randomBytes(512));
      await sendTcp(a.spec.raftPort, Buffer.concat([Buffer.from([0, 0, 0, 16]), randomBytes(16)]));

      const after = await waitFor('the bad packets to be counted', 10_000, async () => {
        const m = await metrics(a);
        return (m.get('sappers.gossip.bad_packets') ?? 0) > badBefore ? m : undefined;
      });
      assert.ok(
        (after.get('sappers.raft.transport.bad_frames') ?? 0) >
          (before.get('sappers.raft.transport.bad_frames') ?? 0),
        'the Raft transport counted the garbage frame',
      );
      assert.ok(
        (after.get('sappers.gossip.bad_streams') ?? 0) >
          (before.get('sappers.gossip.bad_streams') ?? 0),
        'the gossip TCP listener counted the garbage stream',
      );
      // Still serving, still alone and alive, still the leader.
      assert.equal(after.get('sappers.gossip.members.alive'), 1);
      assert.equal(after.get('sappers.raft.is_leader'), 1);
      assert.equal(
        (await mustHttp(a.httpAddr, 'PUT', '/v1/kv/still-here', { body: 'yes' })).body,
        'true',
      );
      assert.equal(a.exitInfo, null, 'the agent process is still running');
    });
  });
});
