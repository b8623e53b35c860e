// PUT /v1/txn and the seed's POST /key through a follower of a real two-process cluster: the
// transaction travels to the leader over the Raft transport, and its outcome (results, or the
// failed operations) comes back through the forwarder intact.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { killAllChildren, mustHttp, TestCluster, type Agent } from './cluster.ts';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

interface TxnJson {
  Results: { KV: { Key: string; Value: string | null; ModifyIndex: number } }[] | null;
  Errors: { OpIndex: number; What: string }[] | null;
}

describe('e2e: transactions through a follower', { timeout: 60_000 }, () => {
  const cluster = new TestCluster({ name: 'txn' });
  let follower: Agent;
  let leader: Agent;

  before(async () => {
    await cluster.diagnose(async () => {
      leader = await cluster.form(['t1', 't2']);
      const other = cluster.list().find((a) => a.id !== leader.id);
      assert.ok(other !== undefined);
      follower = other;
    });
  });

  after(async () => {
    await cluster.close();
    await killAllChildren();
  });

  test('a write transaction, a failed one and a read-only one, all through the follower', async () => {
    await cluster.diagnose(async () => {
      const txn = (ops: unknown, expect: number, query = '') =>
        mustHttp(follower.httpAddr, 'PUT', `/v1/txn${query}`, {
          body: JSON.stringify(ops),
          contentType: 'application/json',
          expect,
        }).then((r) => JSON.parse(r.body) as TxnJson);

      const ok = await txn(
        [
          { KV: { Verb: 'set', Key: 'tx/a', Value: b64('one') } },
          { KV: { Verb: 'set', Key: 'tx/b', Value: b64('two') } },
          { KV: { Verb: 'get', Key: 'tx/a' } },
        ],
        200,
      );
      assert.equal(ok.Errors, null);
      assert.deepEqual(
        ok.Results?.map((r) => [r.KV.Key, r.KV.Value]),
        [
          ['tx/a', null],
          ['tx/b', null],
          ['tx/a', b64('one')],
        ],
      );
      const at = ok.Results?.[0]?.KV.ModifyIndex ?? 0;

      const failed = await txn(
        [
          { KV: { Verb: 'delete', Key: 'tx/a' } },
          { KV: { Verb: 'check-index', Key: 'tx/b', Index: at + 1000 } },
        ],
        409,
      );
      assert.equal(failed.Results, null);
      assert.deepEqual(
        failed.Errors?.map((e) => e.OpIndex),
        [1],
      );

      // The follower answers reads of its own replica: nothing of the failed one was applied.
      const read = await txn([{ KV: { Verb: 'get-tree', Key: 'tx/' } }], 200, '?stale');
      assert.deepEqual(
        read.Results?.map((r) => [r.KV.Key, r.KV.Value, r.KV.ModifyIndex]),
        [
          ['tx/a', b64('one'), at],
          ['tx/b', b64('two'), at],
        ],
      );
    });
  });

  test("the seed's POST /key through the follower writes every pair at one index", async () => {
    await cluster.diagnose(async () => {
      await mustHttp(follower.httpAddr, 'POST', '/key', {
        body: JSON.stringify({ 'seed/x': '1', 'seed/y': '2' }),
        contentType: 'application/x-www-form-urlencoded',
      });
      const res = await mustHttp(leader.httpAddr, 'GET', '/v1/kv/seed/?recurse');
      const pairs = JSON.parse(res.body) as { Key: string; ModifyIndex: number }[];
      assert.deepEqual(
        pairs.map((p) => p.Key),
        ['seed/x', 'seed/y'],
      );
      assert.equal(pairs[0]?.ModifyIndex, pairs[1]?.ModifyIndex);
    });
  });
});
