// /v1/kv against a real one-node cluster: Consul's JSON, raw values, check-and-set, prefixes,
// key encoding and the index header. Tests run in order and share the cluster.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Harness } from './helpers.ts';
import { b64, del, get, harness, header, index, put, TEST_TIMEOUT } from './helpers.ts';

describe('/v1/kv', TEST_TIMEOUT, () => {
  let h: Harness;
  before(async () => {
    h = await harness(['n1']);
  });
  after(async () => {
    await h.close();
  });

  test('an absent key is 404 with an empty body and an index of at least 1', async () => {
    // Index 0 would tell a client "do not block" and make its watch loop spin.
    const res = await get(h.app, '/v1/kv/missing');
    assert.equal(res.statusCode, 404);
    assert.equal(res.body, '');
    assert.equal(index(res), 1);
    assert.equal(header(res, 'X-Consul-KnownLeader'), 'true');
    assert.equal(header(res, 'X-Consul-LastContact'), '0');
  });

  test("PUT then GET answers Consul's JSON, with the index of the write", async () => {
    const w = await put(h.app, '/v1/kv/app/config', 'hello');
    assert.equal(w.statusCode, 200);
    assert.equal(w.body, 'true');
    const res = await get(h.app, '/v1/kv/app/config');
    assert.equal(res.statusCode, 200);
    assert.match(header(res, 'content-type'), /^application\/json/);
    const [pair] = res.json<Record<string, unknown>[]>();
    assert.ok(pair !== undefined);
    assert.deepEqual(Object.keys(pair), [
      'LockIndex',
      'Key',
      'Flags',
      'Value',
      'CreateIndex',
      'ModifyIndex',
    ]);
    assert.equal(pair['Key'], 'app/config');
    assert.equal(pair['Value'], b64('hello'));
    assert.equal(pair['Flags'], 0);
    assert.equal(pair['LockIndex'], 0);
    assert.equal(pair['CreateIndex'], pair['ModifyIndex']);
    assert.equal(index(res), pair['ModifyIndex']);
  });

  test('an empty value is null in JSON and an empty raw body', async () => {
    assert.equal((await put(h.app, '/v1/kv/empty')).body, 'true');
    const res = await get(h.app, '/v1/kv/empty');
    assert.equal(res.json<{ Value: unknown }[]>()[0]?.Value, null);
    const raw = await get(h.app, '/v1/kv/empty?raw');
    assert.equal(raw.statusCode, 200);
    assert.equal(raw.rawPayload.byteLength, 0);
  });

  test('bodies of every content type are stored as the exact bytes sent', async () => {
    const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const cases: [string, string | Buffer, string | undefined][] = [
      ['json', '{"a": 1}', 'application/json'],
      ['badjson', '{not json', 'application/json'],
      ['text', 'plain words', 'text/plain'],
      ['form', 'a=b&c=d', 'application/x-www-form-urlencoded'],
      ['binary', binary, 'application/octet-stream'],
      ['none', 'no content type', undefined],
    ];
    for (const [name, body, type] of cases) {
      const w = await put(h.app, `/v1/kv/ct/${name}`, body, type);
      assert.equal(w.statusCode, 200, `${name}: ${w.body}`);
      const raw = await get(h.app, `/v1/kv/ct/${name}?raw`);
      assert.deepEqual(raw.rawPayload, Buffer.from(body), name);
      assert.equal(header(raw, 'X-Content-Type-Options'), 'nosniff');
    }
  });

  test('flags are stored and returned', async () => {
    await put(h.app, '/v1/kv/flagged?flags=42', 'x');
    const res = await get(h.app, '/v1/kv/flagged');
    assert.equal(res.json<{ Flags: number }[]>()[0]?.Flags, 42);
  });

  test('keys may contain slashes and percent-encoded characters', async () => {
    await put(h.app, '/v1/kv/enc/b%20c', 'space');
    await put(h.app, '/v1/kv/enc%2Fslash', 'slash');
    const res = await get(h.app, '/v1/kv/enc/b%20c');
    assert.equal(res.json<{ Key: string }[]>()[0]?.Key, 'enc/b c');
    // %2F decodes to the same key as a literal slash, as in Consul.
    assert.equal((await get(h.app, '/v1/kv/enc/slash?raw')).body, 'slash');
    assert.deepEqual((await get(h.app, '/v1/kv/enc/?keys')).json(), ['enc/b c', 'enc/slash']);
  });

  test('check-and-set: 0 creates only if absent, N writes only at ModifyIndex N', async () => {
    assert.equal((await put(h.app, '/v1/kv/cas/k?cas=0', 'first')).body, 'true');
    assert.equal((await put(h.app, '/v1/kv/cas/k?cas=0', 'second')).body, 'false');
    const m1 = (await get(h.app, '/v1/kv/cas/k')).json<{ ModifyIndex: number }[]>()[0]?.ModifyIndex;
    assert.ok(m1 !== undefined);
    assert.equal((await put(h.app, `/v1/kv/cas/k?cas=${m1}`, 'third')).body, 'true');
    assert.equal((await put(h.app, `/v1/kv/cas/k?cas=${m1}`, 'stale')).body, 'false');
    assert.equal((await get(h.app, '/v1/kv/cas/k?raw')).body, 'third');
    const m2 = (await get(h.app, '/v1/kv/cas/k')).json<{ ModifyIndex: number }[]>()[0]?.ModifyIndex;
    assert.equal((await del(h.app, `/v1/kv/cas/k?cas=${m1}`)).body, 'false');
    assert.equal((await get(h.app, '/v1/kv/cas/k')).statusCode, 200);
    assert.equal((await del(h.app, `/v1/kv/cas/k?cas=${m2}`)).body, 'true');
    assert.equal((await get(h.app, '/v1/kv/cas/k')).statusCode, 404);
  });

  test('recurse lists a prefix in key order; keys with a separator lists one level', async () => {
    for (const k of ['t/a', 't/b/1', 't/b/2', 't/c/', 't-x', 'u'])
      await put(h.app, `/v1/kv/${k}`, k);
    const rec = await get(h.app, '/v1/kv/t/?recurse');
    assert.deepEqual(
      rec.json<{ Key: string }[]>().map((e) => e.Key),
      ['t/a', 't/b/1', 't/b/2', 't/c/'],
    );
    assert.deepEqual((await get(h.app, '/v1/kv/t/?keys&separator=/')).json(), [
      't/a',
      't/b/',
      't/c/',
    ]);
    assert.deepEqual((await get(h.app, '/v1/kv/t?keys&separator=/')).json(), ['t-x', 't/']);
    assert.deepEqual((await get(h.app, '/v1/kv/t/b?keys')).json(), ['t/b/1', 't/b/2']);
    assert.deepEqual((await get(h.app, '/v1/kv/t/?keys&seperator=/')).json(), [
      't/a',
      't/b/',
      't/c/',
    ]);
    const root = (await get(h.app, '/v1/kv/?keys&separator=/')).json<string[]>();
    assert.ok(root.includes('t/') && root.includes('u') && root.includes('t-x'));
    const none = await get(h.app, '/v1/kv/nothing/?keys');
    assert.equal(none.statusCode, 404);
    assert.ok(index(none) >= 1);
    assert.equal((await get(h.app, '/v1/kv/nothing/?recurse')).statusCode, 404);
  });

  test('DELETE removes one key, or a subtree with recurse', async () => {
    assert.equal((await del(h.app, '/v1/kv/t/a')).body, 'true');
    assert.equal((await get(h.app, '/v1/kv/t/a')).statusCode, 404);
    assert.equal((await del(h.app, '/v1/kv/t/a')).body, 'true'); // absent: still true
    assert.equal((await del(h.app, '/v1/kv/t/?recurse')).body, 'true');
    assert.equal((await get(h.app, '/v1/kv/t/?recurse')).statusCode, 404);
    assert.equal((await get(h.app, '/v1/kv/t-x?raw')).body, 't-x');
  });

  test('X-Consul-Index never decreases across reads and writes', async () => {
    let last = 0;
    for (let i = 0; i < 5; i++) {
      await put(h.app, `/v1/kv/mono/${i}`, String(i));
      for (const url of [
        `/v1/kv/mono/${i}`,
        '/v1/kv/mono/?keys',
        '/v1/kv/none',
        '/v1/kv/mono?recurse&stale',
      ]) {
        const n = index(await get(h.app, url));
        assert.ok(n >= last && n >= 1, `${url}: ${n} after ${last}`);
        last = n;
      }
    }
  });

  test('a stale read answers from the local replica and says so', async () => {
    const res = await get(h.app, '/v1/kv/mono/0?stale&raw');
    assert.equal(res.body, '0');
    assert.equal(header(res, 'X-Consul-Effective-Consistency'), 'stale');
    const cons = await get(h.app, '/v1/kv/mono/0?consistent&raw');
    assert.equal(header(cons, 'X-Consul-Effective-Consistency'), 'consistent');
  });
});
