// PUT /v1/txn on a real in-process cluster: Consul's request and answer shapes, all or nothing,
// 409 naming the failed operations, 400 naming malformed fields, and read-only transactions
// answered without a Raft entry.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { Harness } from './helpers.ts';
import { b64, get, harness, index, put, TEST_TIMEOUT } from './helpers.ts';

interface TxnKvJson {
  Key: string;
  Value: string | null;
  Flags: number;
  CreateIndex: number;
  ModifyIndex: number;
  LockIndex: number;
}
interface TxnJson {
  Results: { KV: TxnKvJson }[] | null;
  Errors: { OpIndex: number; What: string }[] | null;
}

describe('PUT /v1/txn', TEST_TIMEOUT, () => {
  let h: Harness;
  const leader = () => h.cluster.backend(h.leader);
  const txn = (ops: unknown, query = ''): Promise<LightMyRequestResponse> =>
    h.app.inject({ method: 'PUT', url: `/v1/txn${query}`, payload: JSON.stringify(ops) });
  const raw = async (key: string): Promise<string | null> => {
    const res = await get(h.app, `/v1/kv/${key}?raw`);
    return res.statusCode === 404 ? null : res.body;
  };
  before(async () => {
    h = await harness(['n1']);
    await put(h.app, '/v1/kv/a', '1');
    await put(h.app, '/v1/kv/b', '2');
  });
  after(async () => {
    await h.close();
  });

  test('a transaction applies every operation at one index and answers Results', async () => {
    const aIndex = leader().state.kv.get('a')?.modifyIndex ?? 0;
    const res = await txn([
      { KV: { Verb: 'set', Key: 'c', Value: b64('three'), Flags: 9 } },
      { KV: { Verb: 'cas', Key: 'a', Value: b64('1b'), Index: aIndex } },
      { KV: { Verb: 'delete', Key: 'b' } },
      { KV: { Verb: 'get', Key: 'c' } },
    ]);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<TxnJson>();
    assert.equal(body.Errors, null);
    const results = body.Results ?? [];
    assert.deepEqual(
      results.map((r) => [r.KV.Key, r.KV.Value, r.KV.Flags]),
      [
        ['c', null, 9],
        ['a', null, 0],
        ['c', b64('three'), 9],
      ],
    );
    const at = results[0]?.KV.ModifyIndex;
    assert.ok(
      results.every((r) => r.KV.ModifyIndex === at),
      'one Raft index for all',
    );
    assert.equal(await raw('c'), 'three');
    assert.equal(await raw('a'), '1b');
    assert.equal(await raw('b'), null);
    const events = leader().state.events.from(at ?? 0, 10);
    assert.deepEqual(
      events.map((e) => e.type),
      ['kv.txn'],
    );
  });

  test('a failed check is 409 naming each failed OpIndex, and nothing is applied', async () => {
    const before = leader().state.kv.index;
    const res = await txn([
      { KV: { Verb: 'set', Key: 'never', Value: b64('x') } },
      { KV: { Verb: 'check-index', Key: 'a', Index: 1 } },
      { KV: { Verb: 'delete', Key: 'a' } },
      { KV: { Verb: 'cas', Key: 'c', Value: b64('y'), Index: 0 } },
    ]);
    assert.equal(res.statusCode, 409, res.body);
    const body = res.json<TxnJson>();
    assert.equal(body.Results, null);
    assert.deepEqual(
      body.Errors?.map((e) => e.OpIndex),
      [1, 3],
    );
    assert.match(body.Errors?.[0]?.What ?? '', /current modify index \d+ != 1/);
    assert.equal(leader().state.kv.index, before, 'nothing written');
    assert.equal(await raw('never'), null);
    assert.equal(await raw('a'), '1b');
  });

  test('a read-only transaction is answered after a barrier without a Raft entry', async () => {
    const lastIndex = leader().raft.status().lastIndex;
    const res = await txn([
      { KV: { Verb: 'get', Key: 'a' } },
      { KV: { Verb: 'get-tree', Key: '' } },
      { KV: { Verb: 'check-not-exists', Key: 'b' } },
    ]);
    assert.equal(res.statusCode, 200, res.body);
    assert.ok(index(res) >= 1, 'X-Consul-Index on reads');
    const results = res.json<TxnJson>().Results ?? [];
    assert.deepEqual(
      results.map((r) => r.KV.Key),
      ['a', 'a', 'c'],
    );
    assert.equal(results[0]?.KV.Value, b64('1b'));
    const stale = await txn([{ KV: { Verb: 'get', Key: 'absent' } }], '?stale');
    assert.equal(stale.statusCode, 409);
    assert.deepEqual(stale.json<TxnJson>().Errors, [
      { OpIndex: 0, What: `key "absent" doesn't exist` },
    ]);
    assert.equal(leader().raft.status().lastIndex, lastIndex, 'nothing proposed');
  });

  const ok = { Verb: 'get', Key: 'a' };
  const bad: [name: string, body: string, field: string][] = [
    ['malformed JSON', '[{"KV": ', 'body'],
    ['an object', '{"KV": {}}', 'body'],
    ['no operations', '[]', 'body'],
    ['an operation that is not an object', '[1]', '[0]'],
    ['a Node operation', JSON.stringify([{ KV: ok }, { Node: {} }]), '[1].Node'],
    ['no KV', '[{"KV": null}]', '[0].KV'],
    [
      'an unknown verb',
      JSON.stringify([{ KV: ok }, { KV: { Verb: 'put', Key: 'a' } }]),
      '[1].KV.Verb',
    ],
    ['a session verb', JSON.stringify([{ KV: { Verb: 'lock', Key: 'a' } }]), '[0].KV.Verb'],
    ['a missing key', JSON.stringify([{ KV: { Verb: 'set', Value: b64('v') } }]), '[0].KV.Key'],
    ['an empty key', JSON.stringify([{ KV: { Verb: 'get', Key: '' } }]), '[0].KV.Key'],
    [
      'a value that is not base64',
      JSON.stringify([{ KV: { Verb: 'set', Key: 'k', Value: 'not base64!' } }]),
      '[0].KV.Value',
    ],
    [
      'a negative index',
      JSON.stringify([{ KV: { Verb: 'cas', Key: 'k', Value: null, Index: -1 } }]),
      '[0].KV.Index',
    ],
    [
      'fractional flags',
      JSON.stringify([{ KV: { Verb: 'set', Key: 'k', Flags: 1.5 } }]),
      '[0].KV.Flags',
    ],
    [
      'a session',
      JSON.stringify([{ KV: { Verb: 'set', Key: 'k', Session: 's1' } }]),
      '[0].KV.Session',
    ],
    [
      'an unknown field',
      JSON.stringify([{ KV: { Verb: 'get', Key: 'k', Nope: 1 } }]),
      '[0].KV.Nope',
    ],
  ];
  for (const [name, body, field] of bad) {
    test(`${name} is 400 naming ${field}, and nothing is written`, async () => {
      const before = leader().state.kv.index;
      const res = await h.app.inject({ method: 'PUT', url: '/v1/txn', payload: body });
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json<{ field: string }>().field, field);
      assert.equal(leader().state.kv.index, before);
    });
  }

  test('more than 64 operations is 413, as Consul, and nothing is written', async () => {
    const before = leader().state.kv.index;
    const ops = Array.from({ length: 65 }, (_, i) => ({
      KV: { Verb: 'set', Key: `many/${i}`, Value: b64('v') },
    }));
    const res = await txn(ops);
    assert.equal(res.statusCode, 413, res.body);
    assert.equal(leader().state.kv.index, before);
    const max = await txn(ops.slice(0, 64));
    assert.equal(max.statusCode, 200, 'exactly 64 is accepted');
    assert.equal(leader().state.kv.list('many/').length, 64);
  });
});

describe('PUT /v1/txn on a follower', TEST_TIMEOUT, () => {
  let h: Harness;
  before(async () => {
    h = await harness(['n1', 'n2', 'n3'], (leader) => (leader === 'n1' ? 'n2' : 'n1'));
  });
  after(async () => {
    await h.close();
  });

  test('a write transaction is forwarded, and a read-only one answered locally', async () => {
    const set = await h.app.inject({
      method: 'PUT',
      url: '/v1/txn',
      payload: JSON.stringify([
        { KV: { Verb: 'set', Key: 'f/1', Value: b64('one') } },
        { KV: { Verb: 'set', Key: 'f/2', Value: b64('two') } },
      ]),
    });
    assert.equal(set.statusCode, 200, set.body);
    const read = await h.app.inject({
      method: 'PUT',
      url: '/v1/txn?stale',
      payload: JSON.stringify([{ KV: { Verb: 'get-tree', Key: 'f/' } }]),
    });
    assert.equal(read.statusCode, 200, read.body);
    assert.deepEqual(
      read.json<TxnJson>().Results?.map((r) => r.KV.Value),
      [b64('one'), b64('two')],
    );
  });
});
