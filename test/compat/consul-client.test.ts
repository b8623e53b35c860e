// The HTTP API through a real Consul client: the `consul` npm package (v2, on papi) talks to a
// three-agent Sappers cluster formed by gossip, mostly through a follower, and every answer is
// read the way that client decodes it (base64 values, 404 as "no result", non-2xx as a rejected
// promise carrying the status, X-Consul-Index driving its watch).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { killAllChildren, splitAddr, TestCluster, waitFor, type Agent } from '../e2e/cluster.ts';
import {
  b64,
  blockingGet,
  Consul,
  txn,
  type ClientError,
  type KvItem,
  type TxnResult,
  withResponse,
} from './typed-consul.ts';

function clientFor(a: Agent): Consul {
  const { host, port } = splitAddr(a.httpAddr);
  return new Consul({ host, port });
}

/** Runs `fn`, which must reject with the client's response error of HTTP `status`. */
async function rejectsWith(status: number, fn: () => Promise<unknown>): Promise<ClientError> {
  let caught: unknown;
  await fn().then(
    (v) => assert.fail(`expected HTTP ${status}, resolved with ${JSON.stringify(v)}`),
    (err: unknown) => {
      caught = err;
    },
  );
  const err = caught as ClientError;
  assert.equal(err.isPapi, true, `a client response error, got ${String(caught)}`);
  assert.equal(err.statusCode, status);
  return err;
}

describe('compat: the consul npm client against a 3-agent cluster', { timeout: 60_000 }, () => {
  const cluster = new TestCluster({ name: 'consul-client', tickMs: 50 });
  let leader: Agent;
  let follower: Agent;
  let other: Agent;
  let viaFollower: Consul;
  let viaOther: Consul;

  before(async () => {
    await cluster.diagnose(async () => {
      leader = await cluster.form(['c1', 'c2', 'c3'], '3');
      const followers = cluster.list().filter((a) => a.id !== leader.id);
      const [f, o] = followers;
      assert.ok(f !== undefined && o !== undefined);
      follower = f;
      other = o;
      viaFollower = clientFor(follower);
      viaOther = clientFor(other);
    });
  });

  after(async () => {
    viaFollower?.destroy();
    viaOther?.destroy();
    await cluster.close();
    await killAllChildren();
  });

  test('kv: set with flags, get, recurse, keys with a separator, a missing key', async () => {
    await cluster.diagnose(async () => {
      const kv = viaFollower.kv;
      assert.equal(await kv.set({ key: 'app/config', value: 'hello', flags: 42 }), true);
      assert.equal(await kv.set('app/sub/a', 'A'), true);
      assert.equal(await kv.set('app/sub/b', 'B'), true);

      const got = await kv.get('app/config');
      assert.ok(got !== null && got !== undefined);
      assert.equal(got.Key, 'app/config');
      assert.equal(got.Value, 'hello', 'the client decoded the base64 value');
      assert.equal(got.Flags, 42);
      assert.ok(Number.isInteger(got.ModifyIndex) && got.ModifyIndex > 0);
      assert.equal(got.CreateIndex, got.ModifyIndex);

      const all = (await kv.get({ key: 'app/', recurse: true })) as KvItem[];
      assert.deepEqual(
        all.map((i) => [i.Key, i.Value]),
        [
          ['app/config', 'hello'],
          ['app/sub/a', 'A'],
          ['app/sub/b', 'B'],
        ],
      );
      assert.deepEqual(await kv.keys({ key: 'app/', separator: '/' }), ['app/config', 'app/sub/']);
      assert.deepEqual(await kv.keys('app/sub/'), ['app/sub/a', 'app/sub/b']);

      // A 404 is "no such key" to this client: it resolves with undefined rather than rejecting.
      assert.equal(await kv.get('app/missing'), undefined);
      assert.equal(await kv.get({ key: 'nothing/', recurse: true }), undefined);
    });
  });

  test('kv: check-and-set and deletes, through a follower', async () => {
    await cluster.diagnose(async () => {
      const kv = viaFollower.kv;
      const set = kv.set.bind(kv);
      const del = kv.del.bind(kv);
      assert.equal(await kv.set({ key: 'cas/k', value: 'v1', cas: 0 }), true, 'create-only');
      // The agent answers `false`; this client (papi) resolves a false body as undefined, so
      // the wire answer is read with the response alongside.
      assert.equal(await kv.set({ key: 'cas/k', value: 'again', cas: 0 }), undefined, 'exists');
      const again = await withResponse(set, { key: 'cas/k', value: 'again', cas: 0 });
      assert.equal(again.res.statusCode, 200);
      assert.equal(again.body, false);
      const first = (await kv.get('cas/k')) as KvItem;
      assert.equal(first.Value, 'v1');

      assert.equal(await kv.set({ key: 'cas/k', value: 'v2', cas: first.ModifyIndex }), true);
      const stale = await withResponse(set, { key: 'cas/k', value: 'v3', cas: first.ModifyIndex });
      assert.equal(stale.body, false, 'a stale index loses');
      const second = (await kv.get('cas/k')) as KvItem;
      assert.equal(second.Value, 'v2');
      assert.ok(second.ModifyIndex > first.ModifyIndex);

      const staleDel = await withResponse(del, { key: 'cas/k', cas: first.ModifyIndex });
      assert.equal(staleDel.body, false, 'a delete with a stale cas loses');
      assert.equal(((await kv.get('cas/k')) as KvItem).Value, 'v2', 'still there');
      assert.equal(await kv.del({ key: 'cas/k', cas: second.ModifyIndex }), true);
      assert.equal(await kv.get('cas/k'), undefined);

      for (const k of ['tree/a', 'tree/b/c', 'treehouse']) assert.equal(await kv.set(k, k), true);
      assert.equal(await kv.del({ key: 'tree/', recurse: true }), true);
      assert.equal(await kv.get({ key: 'tree/', recurse: true }), undefined);
      assert.equal(((await kv.get('treehouse')) as KvItem).Value, 'treehouse', 'outside prefix');
    });
  });

  test('blocking query: kv.get with index and wait wakes on a write through another node', async () => {
    await cluster.diagnose(async () => {
      await viaOther.kv.set('block/k', 'before');
      const start = await blockingGet(viaFollower, 'block/k', '0', '1s');
      assert.equal(start.item?.Value, 'before');
      assert.ok(start.index !== undefined && Number(start.index) > 0, 'X-Consul-Index is set');

      // As a client loops: a blocking query may wake early only when the index moved (Consul
      // allows wake-ups for writes elsewhere); one that answers at once with the same index did
      // not block, and fails here.
      const untilAfter = async (): Promise<{ item: KvItem | undefined; index: string }> => {
        let index = start.index ?? '0';
        for (let round = 0; round < 5; round++) {
          const r = await blockingGet(viaFollower, 'block/k', index, '20s');
          assert.ok(r.index !== undefined);
          if (r.item?.Value === 'after') return { item: r.item, index: r.index };
          assert.ok(BigInt(r.index) > BigInt(index), `round ${round}: woke without a change`);
          index = r.index;
        }
        return assert.fail('no wake-up with the new value in 5 rounds');
      };
      const pending = untilAfter();
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(await viaOther.kv.set('block/k', 'after'), true);
      const woke = await pending;
      assert.equal(woke.item?.Value, 'after');
      assert.ok(Number(woke.index) > Number(start.index), 'the index moved');
    });
  });

  test("watch: the client's consul.watch sees a key appear and change", async () => {
    await cluster.diagnose(async () => {
      const seen: (string | null | undefined)[] = [];
      const errors: unknown[] = [];
      const watch = viaFollower.watch({
        method: viaFollower.kv.get.bind(viaFollower.kv),
        options: { key: 'watched/k', wait: '2s' },
        maxAttempts: 3,
      });
      watch.on('change', (data: KvItem | undefined) => seen.push(data?.Value));
      watch.on('error', (err: unknown) => errors.push(err));
      try {
        await waitFor('the first (empty) answer', 10_000, () =>
          seen.length >= 1 ? true : undefined,
        );
        assert.deepEqual(seen.slice(), [undefined], 'a missing key is a change to "nothing"');
        await viaOther.kv.set('watched/k', 'one');
        await waitFor('the watch to see "one"', 10_000, () =>
          seen.includes('one') ? true : undefined,
        );
        await viaOther.kv.set('watched/k', 'two');
        await waitFor('the watch to see "two"', 10_000, () =>
          seen.includes('two') ? true : undefined,
        );
        assert.deepEqual(errors, [], 'no watch errors');
        assert.ok(watch.isRunning());
      } finally {
        watch.end();
      }
    });
  });

  test('status.leader, status.peers and agent.members agree with the cluster', async () => {
    await cluster.diagnose(async () => {
      for (const c of [viaFollower, viaOther]) {
        assert.equal(await c.status.leader(), leader.raftAddr);
        assert.deepEqual(
          [...(await c.status.peers())].sort(),
          cluster
            .list()
            .map((a) => a.raftAddr)
            .sort(),
        );
      }
      const alive = await waitFor(
        "the follower's members to be c1..c3, alive",
        10_000,
        async () => {
          const members = (await viaFollower.agent.members()) as { Name: string; Status: number }[];
          const named = members.map((m) => `${m.Name}:${m.Status}`).sort();
          return named.join() === 'c1:1,c2:1,c3:1' ? named : undefined;
        },
      );
      assert.deepEqual(alive, ['c1:1', 'c2:1', 'c3:1']);
    });
  });

  test('transaction.create: a write, a failed check-and-set (409), a read', async () => {
    await cluster.diagnose(async () => {
      const ok = await txn(viaFollower, [
        { KV: { Verb: 'set', Key: 'txn/a', Value: b64('A') } },
        { KV: { Verb: 'set', Key: 'txn/b', Value: b64('B') } },
      ]);
      assert.equal(ok.Errors, null);
      assert.deepEqual(
        ok.Results?.map((r) => r.KV.Key),
        ['txn/a', 'txn/b'],
      );
      const index = ok.Results?.[0]?.KV.ModifyIndex ?? 0;
      assert.ok(index > 0);
      assert.equal(((await viaOther.kv.get('txn/b')) as KvItem).Value, 'B', 'visible elsewhere');

      const err = await rejectsWith(409, () =>
        txn(viaFollower, [
          { KV: { Verb: 'cas', Key: 'txn/a', Value: b64('A2'), Index: index + 1000 } },
          { KV: { Verb: 'delete', Key: 'txn/b' } },
        ]),
      );
      const body = err.response?.body as TxnResult;
      assert.equal(body.Results, null);
      assert.equal(body.Errors?.[0]?.OpIndex, 0);
      assert.equal(((await viaFollower.kv.get('txn/b')) as KvItem).Value, 'B', 'nothing applied');

      const read = await txn(viaFollower, [{ KV: { Verb: 'get', Key: 'txn/a' } }]);
      assert.equal(read.Results?.[0]?.KV.Value, b64('A'), 'transaction values stay base64');
    });
  });

  test('errors: a bad cas is a 400 and an oversized value a 413, as rejected promises', async () => {
    await cluster.diagnose(async () => {
      const fieldOf = (err: ClientError): unknown =>
        (err.response?.body as { field?: unknown } | undefined)?.field;
      const badCas = await rejectsWith(400, () =>
        viaFollower.kv.set({ key: 'err/k', value: 'x', cas: -1 }),
      );
      assert.equal(fieldOf(badCas), 'cas', 'the error body names the field');
      const casTree = await rejectsWith(400, () =>
        viaFollower.kv.del({ key: 'err/', recurse: true, cas: 1 }),
      );
      assert.equal(fieldOf(casTree), 'cas');
      const big = await rejectsWith(413, () =>
        viaFollower.kv.set('err/big', 'x'.repeat(512 * 1024 + 1)),
      );
      assert.equal(fieldOf(big), 'value');
      assert.equal(await viaFollower.kv.get('err/k'), undefined, 'nothing was written');
      assert.equal(await viaFollower.kv.get('err/big'), undefined);
      // Exactly the limit is accepted (Consul's kv_max_value_size).
      assert.equal(await viaFollower.kv.set('err/max', 'y'.repeat(512 * 1024)), true);
    });
  });
});
