// Blocking queries (?index=N&wait=D) on a real one-node cluster: held until the index passes
// N, answered at the deadline with the same index otherwise, and released when the server
// closes. Jitter is pinned to 0 so deadlines are exact.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { poll } from './backend.ts';
import type { Harness } from './helpers.ts';
import { apiFor, get, harness, index, put, TEST_TIMEOUT } from './helpers.ts';

describe('blocking queries', TEST_TIMEOUT, () => {
  let h: Harness;
  before(async () => {
    h = await harness(['n1']);
    await put(h.app, '/v1/kv/watched', 'v1');
  });
  after(async () => {
    await h.close();
  });

  test('a held query wakes on a write and answers the new value and index', async () => {
    const first = await get(h.app, '/v1/kv/watched');
    const n = index(first);
    let settled = false;
    const started = Date.now();
    const held = get(h.app, `/v1/kv/watched?index=${n}&wait=5s`).finally(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(settled, false, 'must hold while nothing changes');
    await put(h.app, '/v1/kv/watched', 'v2');
    const res = await held;
    assert.ok(Date.now() - started < 4000, 'woken by the write, not by the deadline');
    assert.equal(res.statusCode, 200);
    assert.ok(index(res) > n);
    assert.equal(res.json<{ Value: string }[]>()[0]?.Value, Buffer.from('v2').toString('base64'));
  });

  test('a held query times out at its wait with the same index', async () => {
    const n = index(await get(h.app, '/v1/kv/watched'));
    const started = Date.now();
    const res = await get(h.app, `/v1/kv/watched?index=${n}&wait=300ms`);
    const took = Date.now() - started;
    assert.ok(took >= 290 && took < 2000, `took ${took} ms`);
    assert.equal(res.statusCode, 200);
    assert.equal(index(res), n);
  });

  test('a held query on an absent key answers 404 at the deadline, with the index', async () => {
    const n = index(await get(h.app, '/v1/kv/watched'));
    const res = await get(h.app, `/v1/kv/absent?index=${n}&wait=100ms`);
    assert.equal(res.statusCode, 404);
    assert.equal(index(res), n);
  });

  test('index=0 (and no index) answers at once', async () => {
    const started = Date.now();
    assert.equal((await get(h.app, '/v1/kv/watched?index=0&wait=10s')).statusCode, 200);
    assert.equal((await get(h.app, '/v1/kv/watched?wait=10s')).statusCode, 200);
    assert.ok(Date.now() - started < 1000);
  });

  test('a blocking list wakes when a key under its prefix is added', async () => {
    const n = index(await get(h.app, '/v1/kv/watched'));
    const held = get(h.app, `/v1/kv/dir/?keys&index=${n}&wait=5s`);
    await new Promise((r) => setTimeout(r, 50));
    await put(h.app, '/v1/kv/dir/new', 'x');
    const res = await held;
    assert.deepEqual(res.json(), ['dir/new']);
    assert.ok(index(res) > n);
  });

  test('past the watch limit (64 in the test backend) a blocking query is 429', async () => {
    const n = index(await get(h.app, '/v1/kv/watched'));
    const all = await Promise.all(
      Array.from({ length: 70 }, () => get(h.app, `/v1/kv/watched?index=${n}&wait=300ms`)),
    );
    const codes = all.map((r) => r.statusCode);
    assert.equal(codes.filter((c) => c === 200).length, 64, codes.join());
    assert.equal(codes.filter((c) => c === 429).length, 6, codes.join());
    // Nothing leaks: once they have all answered, the next one can wait again.
    assert.equal(h.cluster.backend(h.leader).watch.size(), 0);
  });

  test('a client that hangs up frees its blocking slot at once, not at its wait', async () => {
    // Over a real socket: the hang-up is seen as the response's close, which cancels the waiter.
    const app = apiFor(h.cluster.backend(h.leader));
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = app.server.address() as AddressInfo;
      const watch = h.cluster.backend(h.leader).watch;
      const n = index(await get(app, '/v1/kv/watched'));
      const hangUp = new AbortController();
      const held = fetch(`http://127.0.0.1:${port}/v1/kv/watched?index=${n}&wait=10m`, {
        signal: hangUp.signal,
      }).catch((err: unknown) => err);
      await poll(5000, 'the query to be held', () => (watch.size() === 1 ? true : null));
      hangUp.abort();
      assert.ok((await held) instanceof Error, 'the client gave up');
      await poll(5000, 'the slot to be freed', () => (watch.size() === 0 ? true : null));
    } finally {
      await app.close();
    }
  });

  test('closing the server answers held queries promptly instead of holding close()', async () => {
    const app = apiFor(h.cluster.backend(h.leader));
    await app.ready();
    const n = index(await get(app, '/v1/kv/watched'));
    const held = get(app, `/v1/kv/watched?index=${n}&wait=60s`);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await app.close();
    const res = await held;
    assert.ok(Date.now() - started < 3000, `close took ${Date.now() - started} ms`);
    assert.equal(res.statusCode, 200);
    assert.equal(index(res), n);
  });
});
