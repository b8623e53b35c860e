// One round trip over a real listening socket with fetch, as a Consul client would make it.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Harness } from './helpers.ts';
import { harness, TEST_TIMEOUT } from './helpers.ts';

describe('over a socket', TEST_TIMEOUT, () => {
  let h: Harness;
  let base: string;
  before(async () => {
    h = await harness(['n1']);
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = h.app.server.address() as AddressInfo;
    base = `http://127.0.0.1:${addr.port}`;
  });
  after(async () => {
    await h.close();
  });

  test('PUT a JSON value, read it back raw and as Consul JSON, then block for a change', async () => {
    const value = JSON.stringify({ feature: true });
    const put = await fetch(`${base}/v1/kv/cfg/app%20one?flags=7`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: value,
    });
    assert.equal(put.status, 200);
    assert.equal(await put.json(), true);
    const raw = await fetch(`${base}/v1/kv/cfg/app%20one?raw`);
    assert.equal(await raw.text(), value);
    const res = await fetch(`${base}/v1/kv/cfg/app%20one`);
    const index = Number(res.headers.get('x-consul-index'));
    assert.ok(index >= 1);
    assert.equal(res.headers.get('x-consul-knownleader'), 'true');
    const [pair] = (await res.json()) as { Key: string; Flags: number; Value: string }[];
    assert.equal(pair?.Key, 'cfg/app one');
    assert.equal(pair?.Flags, 7);
    assert.equal(Buffer.from(pair?.Value ?? '', 'base64').toString(), value);
    const held = fetch(`${base}/v1/kv/cfg/?recurse&index=${index}&wait=5s`);
    await new Promise((r) => setTimeout(r, 50));
    await fetch(`${base}/v1/kv/cfg/two`, { method: 'PUT', body: '2' });
    const woke = await held;
    assert.ok(Number(woke.headers.get('x-consul-index')) > index);
    assert.equal(((await woke.json()) as unknown[]).length, 2);
    const missing = await fetch(`${base}/v1/kv/nope`);
    assert.equal(missing.status, 404);
    assert.equal(await missing.text(), '');
  });
});
