// The benchmark's lean HTTP client against a real node:http server on loopback: it must read
// exactly what node:http would (status and body) for every framing a server may use, keep one
// socket across requests, recover from a server that closes, and give up on a silent one.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { decodeChunked, parseHead, RawHttpConnection } from '../../bench/raw-http.ts';

type Handler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;

let server: Server;
let port = 0;
let handler: Handler = (_req, _body, res) => res.end('');
const sockets = new Set<unknown>();

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, Buffer.concat(chunks), res));
  });
  server.on('connection', (s) => sockets.add(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('RawHttpConnection', () => {
  it('sends method, path, content type and body, and reads a Content-Length answer', async () => {
    const seen: string[] = [];
    handler = (req, body, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers['content-type']} ${body.toString()}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('true');
    };
    const c = new RawHttpConnection({ host: '127.0.0.1', port });
    const body = Buffer.from('v'.repeat(300));
    const r1 = await c.send(
      { method: 'PUT', path: '/v1/kv/a/b', contentType: 'text/plain', body },
      2000,
    );
    const r2 = await c.send({ method: 'GET', path: '/x' }, 2000);
    c.close();
    assert.deepEqual(r1, { status: 200, body: 'true' });
    assert.deepEqual(r2, { status: 200, body: 'true' });
    assert.deepEqual(seen, [`PUT /v1/kv/a/b text/plain ${'v'.repeat(300)}`, 'GET /x undefined ']);
  });

  it('keeps one socket across requests', async () => {
    handler = (_req, _body, res) => res.end('ok');
    const before = sockets.size;
    const c = new RawHttpConnection({ host: '127.0.0.1', port });
    for (let i = 0; i < 20; i++)
      assert.equal((await c.send({ method: 'GET', path: '/' }, 2000)).body, 'ok');
    c.close();
    assert.equal(sockets.size - before, 1);
  });

  it('reads chunked answers written in several pieces, and error statuses', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(503);
      res.write('{"error":');
      setTimeout(() => res.end('"no leader"}'), 20);
    };
    const c = new RawHttpConnection({ host: '127.0.0.1', port });
    const r = await c.send({ method: 'POST', path: '/v3/kv/put', body: Buffer.from('{}') }, 2000);
    c.close();
    assert.deepEqual(r, { status: 503, body: '{"error":"no leader"}' });
  });

  it('opens a new socket after the server answers with Connection: close', async () => {
    handler = (_req, _body, res) => {
      res.setHeader('connection', 'close');
      res.end('bye');
    };
    const before = sockets.size;
    const c = new RawHttpConnection({ host: '127.0.0.1', port });
    assert.equal((await c.send({ method: 'GET', path: '/' }, 2000)).body, 'bye');
    assert.equal((await c.send({ method: 'GET', path: '/' }, 2000)).body, 'bye');
    c.close();
    assert.equal(sockets.size - before, 2, 'one socket per answer');
  });

  it('rejects when the server hangs up without answering, then works again', async () => {
    let n = 0;
    handler = (req, _body, res) => {
      if (n++ === 0) req.socket.destroy();
      else res.end('back');
    };
    const c = new RawHttpConnection({ host: '127.0.0.1', port });
    await assert.rejects(c.send({ method: 'GET', path: '/' }, 2000), /closed by the server/);
    assert.equal((await c.send({ method: 'GET', path: '/' }, 2000)).body, 'back');
    c.close();
  });

  it('gives up on a silent server after the timeout', async () => {
    handler = () => undefined;
    const c = new RawHttpConnection({ host: '127.0.0.1', port });
    await assert.rejects(c.send({ method: 'GET', path: '/' }, 100), /no answer within 100 ms/);
    c.close();
  });

  it('refuses a second request while one is in flight', async () => {
    handler = (_req, _body, res) => setTimeout(() => res.end('slow'), 30);
    const c = new RawHttpConnection({ host: '127.0.0.1', port });
    const first = c.send({ method: 'GET', path: '/' }, 2000);
    await assert.rejects(c.send({ method: 'GET', path: '/' }, 2000), /already in flight/);
    assert.equal((await first).body, 'slow');
    c.close();
  });
});

describe('answer framing', () => {
  it('parses status, length and connection', () => {
    assert.deepEqual(parseHead('HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: keep-alive'), {
      status: 200,
      length: 4,
      close: false,
    });
    assert.deepEqual(
      parseHead('HTTP/1.1 500 X\r\ntransfer-encoding: chunked\r\nconnection: close'),
      {
        status: 500,
        length: -1,
        close: true,
      },
    );
    assert.deepEqual(parseHead('HTTP/1.1 204 No Content'), {
      status: 204,
      length: 0,
      close: false,
    });
  });

  it('names what is wrong with a malformed head', () => {
    assert.match(parseHead('HTTP/2 200') as string, /status line/);
    assert.match(parseHead('HTTP/1.1 200 OK\r\nno colon') as string, /header line/);
    assert.match(parseHead('HTTP/1.1 200 OK\r\nContent-Length: -3') as string, /content-length/);
    assert.match(parseHead('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip') as string, /gzip/);
    assert.match(parseHead('HTTP/1.1 200 OK') as string, /framing/);
  });

  it('decodes chunked bodies only when complete', () => {
    const full = Buffer.from('XX4\r\ntrue\r\n3;ext=1\r\nabc\r\n0\r\n\r\n');
    assert.equal(decodeChunked(full, 2), 'trueabc');
    for (let cut = 2; cut < full.length; cut++)
      assert.equal(decodeChunked(full.subarray(0, cut), 2), null, `cut at ${cut}`);
    assert.throws(() => decodeChunked(Buffer.from('zz\r\n'), 0), /chunk size/);
  });
});
