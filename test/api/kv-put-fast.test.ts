// The direct PUT /v1/kv route (src/api/kv-put-fast.ts) must answer exactly as the fastify
// route does. Two servers on real sockets, one with the direct route and one without, each
// over its own in-process cluster, get the same requests; every answer (status, headers that
// matter, body) and the stored result must be the same. A debug log line without a request id
// shows which requests the direct route took.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { createApiServer } from '../../src/api/index.ts';
import { plainKvPut } from '../../src/api/kv-put-fast.ts';
import { MAX_VALUE_BYTES } from '../../src/api/kv.ts';
import { ApiTestCluster, poll } from './backend.ts';
import { REQUEST_TIMEOUT_MS, TEST_TIMEOUT } from './helpers.ts';

interface Answer {
  readonly status: number;
  readonly type: string | undefined;
  readonly length: string | undefined;
  readonly keepAlive: string | undefined;
  readonly body: string;
}

function send(
  port: number,
  method: string,
  path: string,
  body?: Buffer | string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, headers, timeout: 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            type: res.headers['content-type'],
            length: res.headers['content-length'],
            keepAlive: res.headers['keep-alive'] as string | undefined,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', reject);
    req.end(body);
  });
}

/** A server on a real port over its own cluster; debug lines are kept to tell the routes apart. */
class Side {
  readonly lines: Record<string, unknown>[] = [];
  readonly cluster: ApiTestCluster;
  app!: FastifyInstance;
  port = 0;
  serving = '';

  readonly direct: boolean;

  constructor(direct: boolean, ids: readonly string[]) {
    this.direct = direct;
    this.cluster = new ApiTestCluster(ids);
  }

  async start(on: (leader: string) => string): Promise<void> {
    const leader = await this.cluster.settled();
    const sink = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        for (const line of chunk.toString('utf8').split('\n'))
          if (line !== '') this.lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    this.serving = on(leader);
    this.app = createApiServer({
      backend: this.cluster.backend(this.serving),
      logger: pino({ level: 'debug' }, sink),
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      random: () => 0,
      directKvPut: this.direct,
    });
    await this.app.listen({ host: '127.0.0.1', port: 0 });
    this.port = (this.app.server.address() as AddressInfo).port;
  }

  /** Completed requests the direct route answered (its log lines carry no request id). */
  directlyAnswered(): number {
    return this.lines.filter((l) => l['msg'] === 'request completed' && l['reqId'] === undefined)
      .length;
  }

  async stop(): Promise<void> {
    await this.app.close();
    this.cluster.stopAll();
  }
}

describe('plainKvPut: which requests the direct route takes', () => {
  test('plain puts, with flags, cas and ignored parameters', () => {
    assert.deepEqual(plainKvPut('PUT', '/v1/kv/a/b', '3'), { key: 'a/b', flags: 0, cas: null });
    assert.deepEqual(plainKvPut('PUT', '/v1/kv/a?flags=7&cas=0', '0'), {
      key: 'a',
      flags: 7,
      cas: 0,
    });
    assert.deepEqual(plainKvPut('PUT', '/v1/kv/a?dc=dc1&token=x&flags=1&flags=2', '1'), {
      key: 'a',
      flags: 1,
      cas: null,
    });
    assert.deepEqual(plainKvPut('PUT', '/v1/kv/a?stale', '1'), { key: 'a', flags: 0, cas: null });
  });

  test('everything else is left to fastify', () => {
    const refused: [string, string, string | undefined][] = [
      ['GET', '/v1/kv/a', '1'],
      ['DELETE', '/v1/kv/a', '1'],
      ['PUT', '/v1/kv/', '1'],
      ['PUT', '/v1/kv/a%2Fb', '1'],
      ['PUT', '/v1/kva', '1'],
      ['PUT', '/v1/kv/a', undefined],
      ['PUT', '/v1/kv/a', '-1'],
      ['PUT', '/v1/kv/a', String(MAX_VALUE_BYTES + 1)],
      ['PUT', '/v1/kv/a?flags=x', '1'],
      ['PUT', '/v1/kv/a?flags=', '1'],
      ['PUT', '/v1/kv/a?flags', '1'],
      ['PUT', '/v1/kv/a?cas=-1', '1'],
      ['PUT', '/v1/kv/a?cas=9007199254740992', '1'],
      ['PUT', '/v1/kv/a?acquire=s1', '1'],
      ['PUT', '/v1/kv/a?release', '1'],
      ['PUT', '/v1/kv/a?flags=%31', '1'],
      ['PUT', '/v1/kv/a?x=a+b', '1'],
      ['PUT', '/v1/kv/a?&flags=1', '1'],
    ];
    for (const [method, url, length] of refused)
      assert.equal(plainKvPut(method, url, length), null, `${method} ${url} (${String(length)})`);
    assert.notEqual(plainKvPut('PUT', '/v1/kv/a', String(MAX_VALUE_BYTES)), null);
  });
});

describe('the direct route answers as the fastify route does', TEST_TIMEOUT, () => {
  const ids = ['n1', 'n2', 'n3'];
  // Both servers sit on a follower, so writes are forwarded as well.
  const onFollower = (leader: string): string => ids.find((id) => id !== leader) ?? leader;
  const direct = new Side(true, ids);
  const routed = new Side(false, ids);
  before(async () => {
    await direct.start(onFollower);
    await routed.start(onFollower);
  });
  after(async () => {
    await direct.stop();
    await routed.stop();
  });

  const both = async (
    method: string,
    path: string,
    body?: Buffer | string,
    headers?: Record<string, string>,
  ): Promise<Answer> => {
    const a = await send(direct.port, method, path, body, headers);
    const b = await send(routed.port, method, path, body, headers);
    assert.deepEqual(a, b, `${method} ${path}`);
    return a;
  };

  test('writes, check-and-set outcomes, errors and what is stored', async () => {
    const before = direct.directlyAnswered();
    const long = `k/${'x'.repeat(300)}`;
    const answers = [
      await both('PUT', '/v1/kv/plain', 'hello'),
      await both('PUT', '/v1/kv/flagged?flags=42&dc=dc1&token=t', 'v'),
      await both('PUT', '/v1/kv/plain?cas=0', 'not created'),
      await both('PUT', '/v1/kv/plain?cas=999', 'stale cas'),
      await both('PUT', '/v1/kv/empty', ''),
      await both('PUT', `/v1/kv/${long}`, Buffer.alloc(1000, 0xff)),
      await both('PUT', '/v1/kv/json', '{"a":1}', { 'content-type': 'application/json' }),
      await both('PUT', '/v1/kv/a%2Fb', 'encoded'),
      await both('PUT', '/v1/kv/bad?flags=x', 'v'),
      await both('PUT', '/v1/kv/s?acquire=abc', 'v'),
      await both('PUT', '/v1/kv/big', Buffer.alloc(MAX_VALUE_BYTES + 1, 1)),
      await both('PUT', '/v1/kv/', 'no key'),
    ];
    assert.deepEqual(
      answers.map((a) => `${a.status} ${a.body.slice(0, 20)}`),
      [
        '200 true',
        '200 true',
        '200 false',
        '200 false',
        '200 true',
        '200 true',
        '200 true',
        '200 true',
        '400 {"error":"flags must',
        '400 {"error":"acquire: s',
        '413 {"error":"value of 5',
        '400 {"error":"a key is r',
      ],
    );
    // A check-and-set on the current ModifyIndex succeeds on both.
    const [entry] = JSON.parse((await both('GET', '/v1/kv/plain')).body) as [
      { ModifyIndex: number },
    ];
    assert.equal(
      (await both('PUT', `/v1/kv/plain?cas=${entry.ModifyIndex}`, 'again')).body,
      'true',
    );
    // The same data is stored on both sides.
    const all = await both('GET', '/v1/kv/?recurse');
    assert.equal(all.status, 200);
    assert.equal((JSON.parse(all.body) as unknown[]).length, 6);
    // The plain puts above (8 of them) went the direct way, the rest through fastify.
    assert.equal(direct.directlyAnswered() - before, 8);
    assert.equal(routed.directlyAnswered(), 0);
  });

  test('without a leader both answer 500 "No cluster leader" and write nothing', async () => {
    const indexes: number[] = [];
    for (const side of [direct, routed]) {
      for (const id of ids) if (id !== side.serving) side.cluster.kill(id);
      const survivor = side.cluster.backend(side.serving);
      await poll(5000, 'the survivor to know no leader', () =>
        survivor.raftStatus().leader === null ? true : null,
      );
      indexes.push(survivor.state.kv.index);
    }
    const before = direct.directlyAnswered();
    const a = await both('PUT', '/v1/kv/lost?flags=1', 'x');
    assert.equal(a.status, 500);
    assert.equal(a.body, 'No cluster leader');
    assert.equal(a.type, 'text/plain; charset=utf-8');
    assert.equal(direct.directlyAnswered() - before, 1);
    assert.deepEqual(
      [direct, routed].map((side) => side.cluster.backend(side.serving).state.kv.index),
      indexes,
      'nothing applied',
    );
  });
});
