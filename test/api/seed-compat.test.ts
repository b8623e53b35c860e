// The seed code's endpoints (/join, /key) on a real one-node cluster. Bodies are JSON whatever
// their content type, since the seed's scripts used `curl -d` (a form content type).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { Harness } from './helpers.ts';
import { del, get, harness, TEST_TIMEOUT } from './helpers.ts';

const FORM = 'application/x-www-form-urlencoded';

describe('seed-compat endpoints', TEST_TIMEOUT, () => {
  let h: Harness;
  const kvIndex = (): number => h.cluster.backend(h.leader).state.kv.index;
  const post = (url: string, payload: string, type = FORM): Promise<LightMyRequestResponse> =>
    h.app.inject({ method: 'POST', url, payload, headers: { 'content-type': type } });
  before(async () => {
    h = await harness(['n1']);
  });
  after(async () => {
    await h.close();
  });

  test('POST /key sets every pair; GET /key/<k> answers {"<k>": "<value>"}', async () => {
    const res = await post('/key', JSON.stringify({ user1: 'batman', 'dir/k': 'ünïcode' }));
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual((await get(h.app, '/key/user1')).json(), { user1: 'batman' });
    assert.deepEqual((await get(h.app, '/key/dir/k')).json(), { 'dir/k': 'ünïcode' });
    // The same table as /v1/kv.
    assert.equal((await get(h.app, '/v1/kv/user1?raw')).body, 'batman');
    const json = await post('/key', JSON.stringify({ other: 'x' }), 'application/json');
    assert.equal(json.statusCode, 200);
  });

  test('GET /key/<absent> is 404; DELETE /key/<k> removes it', async () => {
    assert.equal((await get(h.app, '/key/nobody')).statusCode, 404);
    assert.equal((await del(h.app, '/key/user1')).statusCode, 200);
    assert.equal((await get(h.app, '/key/user1')).statusCode, 404);
  });

  test('POST /key writes all its pairs in one Raft entry (one kv.txn)', async () => {
    const b = h.cluster.backend(h.leader);
    const lastIndex = b.raft.status().lastIndex;
    const res = await post('/key', JSON.stringify({ p1: 'a', p2: 'b', p3: 'c' }));
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(b.raft.status().lastIndex, lastIndex + 1);
    const indexes = ['p1', 'p2', 'p3'].map((k) => b.state.kv.get(k)?.modifyIndex);
    assert.deepEqual(indexes, [lastIndex + 1, lastIndex + 1, lastIndex + 1]);
    assert.equal(b.state.events.from(lastIndex + 1, 5)[0]?.type, 'kv.txn');
  });

  test('POST /key with one oversized value among good pairs writes none of them', async () => {
    const before = kvIndex();
    const body = { good1: 'v', good2: 'v', big: 'x'.repeat(512 * 1024 + 1), good3: 'v' };
    const res = await post('/key', JSON.stringify(body));
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json<{ field: string }>().field, 'big');
    assert.equal(kvIndex(), before, 'nothing written');
    for (const k of ['good1', 'good2', 'good3']) {
      assert.equal((await get(h.app, `/key/${k}`)).statusCode, 404, k);
    }
  });

  const bad: [url: string, body: string, field: string][] = [
    ['/key', '{"a": ', 'body'],
    ['/key', '', 'body'],
    ['/key', '[1, 2]', 'body'],
    ['/key', '{}', 'body'],
    ['/key', '{"a": 1}', 'a'],
    ['/key', '{"ok": "v", "n": null}', 'n'],
    ['/key', '{"": "v"}', 'key'],
    [
      '/key',
      JSON.stringify(Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']))),
      'body',
    ],
    ['/key', JSON.stringify({ big: 'x'.repeat(512 * 1024 + 1) }), 'big'],
    ['/join', '{bad json', 'body'],
    ['/join', '{"addr": "127.0.0.1:12009"}', 'id'],
    ['/join', '{"id": "n9"}', 'addr'],
    ['/join', '{"id": "", "addr": "127.0.0.1:12009"}', 'id'],
    ['/join', '{"id": "n9", "addr": "nowhere"}', 'addr'],
    ['/join', '{"id": "n9", "addr": "h:70000"}', 'addr'],
    ['/join', '{"id": "n9", "addr": "h:1", "role": "voter"}', 'role'],
    ['/join', '"n9"', 'body'],
  ];
  for (const [url, body, field] of bad) {
    test(`POST ${url} ${body.slice(0, 40)} → 400 naming ${field}`, async () => {
      const before = kvIndex();
      const peers = h.cluster.backend(h.leader).peers().length;
      const res = await post(url, body);
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json<{ field: string }>().field, field);
      assert.equal(kvIndex(), before, 'nothing written');
      assert.equal(h.cluster.backend(h.leader).peers().length, peers, 'nobody joined');
      assert.equal((await get(h.app, '/key/ok')).statusCode, 404);
    });
  }

  test('POST without any body is 400 naming body', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/join' });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json<{ field: string }>().field, 'body');
  });
});
