// The event log, its verification and the members table over HTTP, on real in-process clusters:
// paging, blocking queries, verification (including a tampered event), and bad input.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { EventJson, MemberJson } from '../../src/api/index.ts';
import type { ChainEvent, Command } from '../../src/state/index.ts';
import type { Harness } from './helpers.ts';
import { apiFor, get, harness, header, index, put, REQUEST_TIMEOUT_MS } from './helpers.ts';
import { TEST_TIMEOUT } from './helpers.ts';

const upsert = (id: string, status: 'alive' | 'failed' = 'alive'): Command => ({
  t: 'member.upsert',
  id,
  raftAddr: `127.0.0.1:1${id.length}`,
  httpAddr: '127.0.0.1:8500',
  gossipAddr: '127.0.0.1:7000',
  tags: ['consensus'],
  cpuFreeMilli: 1500,
  memFreeBytes: 4096,
  status,
  at: Date.UTC(2024, 0, 2, 3, 4, 5, 678),
});

describe('event log over HTTP', TEST_TIMEOUT, () => {
  let h: Harness;
  const state = () => h.cluster.backend(h.leader).state;
  before(async () => {
    h = await harness(['n1']);
    for (let i = 0; i < 5; i++) await put(h.app, `/v1/kv/e/${i}`, `v${i}`);
  });
  after(async () => {
    await h.close();
  });

  test('events list in index order, chained, with RFC 3339 times and the head index', async () => {
    const res = await get(h.app, '/v1/sappers/events');
    assert.equal(res.statusCode, 200, res.body);
    const events = res.json<EventJson[]>();
    assert.deepEqual(
      events.map((e) => [e.Type, e.Subject]),
      [0, 1, 2, 3, 4].map((i) => ['kv.set', `e/${i}`]),
    );
    assert.equal(events[0]?.Prev, '0'.repeat(64));
    for (let i = 1; i < events.length; i++) {
      assert.ok((events[i]?.Index ?? 0) > (events[i - 1]?.Index ?? 0));
      assert.equal(events[i]?.Prev, events[i - 1]?.Hash);
    }
    const first = events[0];
    assert.match(first?.Time ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(Math.abs(Date.parse(first?.Time ?? '') - Date.now()) < 60_000);
    assert.deepEqual(Object.keys(first?.Data ?? {}).sort(), ['flags', 'sha256', 'size']);
    assert.equal(index(res), events.at(-1)?.Index);
    assert.equal(header(res, 'X-Sappers-Events-Oldest-Index'), String(events[0]?.Index));
  });

  test('from and limit page through the log', async () => {
    const all = (await get(h.app, '/v1/sappers/events')).json<EventJson[]>();
    const seen: number[] = [];
    let from = 0;
    for (let pages = 0; pages < 10; pages++) {
      const page = (await get(h.app, `/v1/sappers/events?from=${from}&limit=2`)).json<
        EventJson[]
      >();
      if (page.length === 0) break;
      assert.ok(page.length <= 2);
      seen.push(...page.map((e) => e.Index));
      from = (page.at(-1)?.Index ?? 0) + 1;
    }
    assert.deepEqual(
      seen,
      all.map((e) => e.Index),
    );
    const mid = all[2]?.Index ?? -1;
    const tail = (await get(h.app, `/v1/sappers/events?from=${mid}`)).json<EventJson[]>();
    assert.equal(tail[0]?.Index, mid);
  });

  test('a blocking events query wakes on the next event, and times out with the same index', async () => {
    const head = index(await get(h.app, '/v1/sappers/events'));
    const quiet = await get(h.app, `/v1/sappers/events?from=${head + 1}&index=${head}&wait=200ms`);
    assert.equal(index(quiet), head);
    assert.deepEqual(quiet.json(), []);
    let settled = false;
    const held = get(h.app, `/v1/sappers/events?from=${head + 1}&index=${head}&wait=5s`).finally(
      () => (settled = true),
    );
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(settled, false, 'must hold while no event happens');
    await put(h.app, '/v1/kv/e/new', 'x');
    const res = await held;
    const events = res.json<EventJson[]>();
    assert.deepEqual(
      events.map((e) => e.Subject),
      ['e/new'],
    );
    assert.equal(index(res), events[0]?.Index);
  });

  test('a failed check-and-set adds no event', async () => {
    const before = state().events.length;
    assert.equal((await put(h.app, '/v1/kv/e/0?cas=0', 'no')).body, 'false');
    assert.equal(state().events.length, before);
  });

  test('verify answers ok with the length and head of this replica', async () => {
    const res = await get(h.app, '/v1/sappers/events/verify');
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), {
      ok: true,
      length: state().events.length,
      head: state().events.head,
    });
  });

  test('members list in id order with Consul-style fields, blocking on the members index', async () => {
    const backend = h.cluster.backend(h.leader);
    await backend.propose(upsert('n2'), REQUEST_TIMEOUT_MS);
    await backend.propose(upsert('n10', 'failed'), REQUEST_TIMEOUT_MS);
    const res = await get(h.app, '/v1/sappers/members');
    const rows = res.json<MemberJson[]>();
    assert.deepEqual(
      rows.map((r) => [r.ID, r.Status]),
      [
        ['n10', 'failed'],
        ['n2', 'alive'],
      ],
    );
    assert.deepEqual(rows[1], {
      ID: 'n2',
      RaftAddr: '127.0.0.1:12',
      HTTPAddr: '127.0.0.1:8500',
      GossipAddr: '127.0.0.1:7000',
      Tags: ['consensus'],
      CPUFreeMilli: 1500,
      MemFreeBytes: 4096,
      Status: 'alive',
      CreateIndex: rows[1]?.ModifyIndex,
      ModifyIndex: rows[1]?.ModifyIndex,
      UpdatedAt: '2024-01-02T03:04:05.678Z',
    });
    const n = index(res);
    assert.equal(n, rows[0]?.ModifyIndex);
    // A kv write moves the events index but not the members index: the query keeps waiting.
    const held = get(h.app, `/v1/sappers/members?index=${n}&wait=5s`);
    await put(h.app, '/v1/kv/unrelated', 'x');
    await backend.propose({ t: 'member.remove', id: 'n10' }, REQUEST_TIMEOUT_MS);
    const woke = await held;
    assert.ok(index(woke) > n);
    assert.deepEqual(
      woke.json<MemberJson[]>().map((r) => r.ID),
      ['n2'],
    );
  });

  const bad: [url: string, field: string][] = [
    ['/v1/sappers/events?from=-1', 'from'],
    ['/v1/sappers/events?from=abc', 'from'],
    ['/v1/sappers/events?from=', 'from'],
    ['/v1/sappers/events?limit=0', 'limit'],
    ['/v1/sappers/events?limit=10001', 'limit'],
    ['/v1/sappers/events?limit=1.5', 'limit'],
    ['/v1/sappers/events?index=x', 'index'],
    ['/v1/sappers/events?index=1&wait=5', 'wait'],
    ['/v1/sappers/members?index=-2', 'index'],
  ];
  for (const [url, field] of bad) {
    test(`${url} is refused naming ${field}`, async () => {
      const res = await get(h.app, url);
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json<{ field: string }>().field, field);
    });
  }

  test('limit=10000 is accepted', async () => {
    assert.equal((await get(h.app, '/v1/sappers/events?limit=10000')).statusCode, 200);
  });
});

describe('event chain across a cluster', TEST_TIMEOUT, () => {
  let h: Harness;
  const apps = new Map<string, FastifyInstance>();
  before(async () => {
    h = await harness(['n1', 'n2', 'n3']);
    for (const id of ['n1', 'n2', 'n3']) {
      const app = apiFor(h.cluster.backend(id));
      await app.ready();
      apps.set(id, app);
    }
  });
  after(async () => {
    for (const app of apps.values()) await app.close();
    await h.close();
  });

  test('every node holds the same chain, including the membership change', async () => {
    const leaderApp = apps.get(h.leader);
    assert.ok(leaderApp !== undefined);
    for (let i = 0; i < 4; i++) await put(leaderApp, `/v1/kv/c/${i}`, `v${i}`);
    const gone = ['n1', 'n2', 'n3'].find((id) => id !== h.leader) ?? '';
    await h.cluster.backend(h.leader).removePeer(gone, REQUEST_TIMEOUT_MS);
    await put(leaderApp, '/v1/kv/c/after', 'x');
    const chains = new Map<string, EventJson[]>();
    for (const [id, app] of apps) {
      if (id === gone) continue;
      chains.set(id, (await get(app, '/v1/sappers/events')).json<EventJson[]>());
      const v = (await get(app, '/v1/sappers/events/verify')).json<{ ok: boolean }>();
      assert.equal(v.ok, true, `verify on ${id}`);
    }
    const [a, b] = [...chains.values()];
    assert.deepEqual(a, b);
    const conf = a?.find((e) => e.Type === 'raft.conf');
    assert.equal(conf?.Subject, gone);
    assert.equal(conf?.Data['change'], 'remove');
    assert.equal((conf?.Data['voters'] as string[]).includes(gone), false);
  });

  test('verify on a node with a tampered event reports where the chain breaks', async () => {
    const id = h.leader;
    const events = h.cluster.backend(id).state.events;
    const victim = events.from(0, 3)[2] as { -readonly [K in keyof ChainEvent]: ChainEvent[K] };
    victim.data = { ...victim.data, size: 999 };
    const res = await get(apps.get(id) as FastifyInstance, '/v1/sappers/events/verify');
    assert.equal(res.statusCode, 200);
    const body = res.json<{ ok: boolean; brokenAt: number; expected: string; found: string }>();
    assert.equal(body.ok, false);
    assert.equal(body.brokenAt, victim.index);
    assert.equal(body.found, victim.hash);
    assert.notEqual(body.expected, victim.hash);
  });
});
