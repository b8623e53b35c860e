// --encrypt: agents sharing a key form one cluster (gossip and then Raft, with no /join); an
// agent with a different key never appears in their member list, nor they in its.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { killAllChildren, mustHttp, sleep, TestCluster, waitFor, type Agent } from './cluster.ts';

async function names(a: Agent): Promise<string[]> {
  const body = (await mustHttp(a.httpAddr, 'GET', '/v1/agent/members')).body;
  return (JSON.parse(body) as { Name: string; Status: number }[])
    .filter((m) => m.Status === 1)
    .map((m) => m.Name)
    .sort();
}

describe('e2e: encrypted gossip', { timeout: 60_000 }, () => {
  const cluster = new TestCluster({ name: 'gossip-encrypt', tickMs: 50 });
  const key = randomBytes(32).toString('base64');
  const wrong = randomBytes(16).toString('base64');

  after(async () => {
    await cluster.close();
    await killAllChildren();
  });

  test('a shared key forms the cluster; a wrong key stays out', async () => {
    await cluster.diagnose(async () => {
      const [e1, e2, e3, x] = await Promise.all(
        ['e1', 'e2', 'e3', 'x'].map((id) => cluster.define(id)),
      );
      assert.ok(e1 && e2 && e3 && x);
      e1.start(['--bootstrap', '3', '--encrypt', key]);
      e2.start(['--encrypt', key]);
      e3.start(['--encrypt', key]);
      x.start(['--encrypt', wrong]);
      await Promise.all([e1, e2, e3, x].map((a) => a.waitReady()));
      await cluster.voters(['e1', 'e2', 'e3']);
      for (const a of [e1, e2, e3]) {
        await waitFor(`${a.id} to list e1, e2, e3`, 15_000, async () =>
          (await names(a)).join() === 'e1,e2,e3' ? true : undefined,
        );
      }
      await mustHttp(e2.httpAddr, 'PUT', '/v1/kv/secret', { body: 'kept' });
      // x keeps trying to join e1 with its key: give it time, then it must still be alone.
      await sleep(3_000);
      for (const a of [e1, e2, e3]) assert.deepEqual(await names(a), ['e1', 'e2', 'e3']);
      assert.deepEqual(await names(x), ['x']);
      // What x sent e1 could not be decrypted: dropped and counted, never applied.
      const m = JSON.parse((await mustHttp(e1.httpAddr, 'GET', '/v1/agent/metrics')).body) as {
        Counters: { Name: string; Count: number }[];
      };
      const dropped = m.Counters.filter(
        (c) => c.Name === 'sappers.gossip.bad_packets' || c.Name === 'sappers.gossip.bad_streams',
      ).reduce((n, c) => n + c.Count, 0);
      assert.ok(dropped > 0, `e1 counted x's undecryptable traffic: ${JSON.stringify(m.Counters)}`);
      assert.equal(await x.leaderAddr(), '', 'x never joined the Raft cluster');
      assert.ok(
        e1.logLines().some((l) => l['msg'] === 'gossip started' && l['encrypted'] === true),
      );
    });
  });
});
