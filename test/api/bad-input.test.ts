// Client mistakes are 400 (413 for oversized values) with {"error", "field"} naming the input
// at fault, and nothing is written: the table index is the same before and after.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_VALUE_BYTES } from '../../src/api/index.ts';
import type { Harness } from './helpers.ts';
import { get, harness, put, TEST_TIMEOUT } from './helpers.ts';

describe('bad input', TEST_TIMEOUT, () => {
  let h: Harness;
  const kvIndex = (): number => h.cluster.backend(h.leader).state.kv.index;
  before(async () => {
    h = await harness(['n1']);
    await put(h.app, '/v1/kv/existing', 'v');
  });
  after(async () => {
    await h.close();
  });

  const cases: [method: 'GET' | 'PUT' | 'DELETE', url: string, field: string][] = [
    ['PUT', '/v1/kv/k?flags=-1', 'flags'],
    ['PUT', '/v1/kv/k?flags=1.5', 'flags'],
    ['PUT', '/v1/kv/k?flags=abc', 'flags'],
    ['PUT', '/v1/kv/k?flags=', 'flags'],
    ['PUT', '/v1/kv/k?flags=99999999999999999999', 'flags'],
    ['PUT', '/v1/kv/k?cas=x', 'cas'],
    ['PUT', '/v1/kv/k?cas=-1', 'cas'],
    ['PUT', '/v1/kv/k?cas=1e3', 'cas'],
    ['PUT', '/v1/kv/k?acquire=some-session', 'acquire'],
    ['PUT', '/v1/kv/k?release=some-session', 'release'],
    ['PUT', '/v1/kv/', 'key'],
    ['DELETE', '/v1/kv/', 'key'],
    ['DELETE', '/v1/kv/existing?cas=abc', 'cas'],
    ['DELETE', '/v1/kv/existing?recurse&cas=1', 'cas'],
    ['GET', '/v1/kv/', 'key'],
    ['GET', '/v1/kv/existing?index=abc', 'index'],
    ['GET', '/v1/kv/existing?index=-1', 'index'],
    ['GET', '/v1/kv/existing?index=1&wait=30', 'wait'],
    ['GET', '/v1/kv/existing?wait=5x', 'wait'],
    ['GET', '/v1/kv/existing?wait=-5s', 'wait'],
    ['GET', '/v1/kv/existing?stale&consistent', 'consistent'],
    ['GET', '/v1/kv/%E0%A4%A', 'url'],
  ];
  for (const [method, url, field] of cases) {
    test(`${method} ${url} → 400 naming ${field}`, async () => {
      const before = kvIndex();
      const res = await h.app.inject({
        method,
        url,
        ...(method === 'PUT' ? { payload: 'x' } : {}),
      });
      assert.equal(res.statusCode, 400, res.body);
      const body = res.json<{ error: string; field: string }>();
      assert.equal(body.field, field);
      assert.ok(body.error.length > 0);
      assert.equal(kvIndex(), before, 'nothing may be written');
      assert.equal((await get(h.app, '/v1/kv/k')).statusCode, 404);
      assert.equal((await get(h.app, '/v1/kv/existing?raw')).body, 'v');
    });
  }

  test('a value of exactly 512 KiB is accepted, one byte more is 413 naming value', async () => {
    const ok = await put(h.app, '/v1/kv/big', Buffer.alloc(MAX_VALUE_BYTES, 1));
    assert.equal(ok.statusCode, 200);
    assert.equal((await get(h.app, '/v1/kv/big?raw')).rawPayload.byteLength, MAX_VALUE_BYTES);
    const before = kvIndex();
    const res = await put(h.app, '/v1/kv/big2', Buffer.alloc(MAX_VALUE_BYTES + 1, 2));
    assert.equal(res.statusCode, 413);
    const body = res.json<{ error: string; field: string }>();
    assert.equal(body.field, 'value');
    assert.match(body.error, /524288 bytes/);
    assert.equal(kvIndex(), before);
    assert.equal((await get(h.app, '/v1/kv/big2')).statusCode, 404);
  });

  test('unknown routes are 404; other methods on /v1/kv are 405', async () => {
    const nf = await get(h.app, '/v1/nope');
    assert.equal(nf.statusCode, 404);
    assert.match(nf.json<{ error: string }>().error, /no route/);
    assert.equal((await get(h.app, '/v1/kv')).statusCode, 404);
    const na = await h.app.inject({ method: 'POST', url: '/v1/kv/k', payload: 'x' });
    assert.equal(na.statusCode, 405);
    assert.equal(na.headers['allow'], 'GET, PUT, DELETE');
    assert.equal((await get(h.app, '/v1/kv/k')).statusCode, 404);
  });
});
