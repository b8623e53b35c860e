import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Packr } from 'msgpackr';
import type { Message } from '../../src/raft/messages.ts';
import { createServer } from 'node:net';
import {
  createTcpTransport,
  encodeHello,
  encodeMessage,
  WireError,
} from '../../src/transport/index.ts';
import { appendMessage, captureLogger, DEBUG, waitFor, WARN } from './helpers.ts';
import {
  deadPort,
  fastTuning,
  rawClient,
  rawFrame,
  rawSession,
  stallingServer,
  startNode,
  type TestNode,
} from './net-helpers.ts';

const T = { timeout: 20_000 };
const packr = new Packr({ useRecords: false });

function frame(m: Message): Buffer {
  const f = encodeMessage(m);
  assert.ok(!(f instanceof WireError));
  return f;
}

/** Sequence numbers of the app messages `n` received from `from`. */
function seqs(n: TestNode, from: string): number[] {
  return n.received.flatMap((m) => (m.from === from && m.type === 'app' ? [m.commit] : []));
}

function warned(n: TestNode, code: string): boolean {
  return n.lines.some(
    (l) => l.level >= WARN && l['code'] === code && typeof l['remote'] === 'string',
  );
}

/** Sends one message a → b and waits until b has it: proves b still serves a. */
async function roundTrip(a: TestNode, b: TestNode, seq: number): Promise<void> {
  a.t.send([appendMessage(a.id, b.id, seq)]);
  await waitFor(() => seqs(b, a.id).includes(seq), 5000, `${b.id} receives ${String(seq)}`);
}

test('two transports exchange 10,000 messages each way, in order', T, async () => {
  const dir = new Map<string, string>();
  const a = await startNode('a', dir);
  const b = await startNode('b', dir);
  const n = 10_000;
  for (let i = 0; i < n; i += 100) {
    const batch = (from: string, to: string): Message[] =>
      Array.from({ length: 100 }, (_, k) => appendMessage(from, to, i + k));
    a.t.send(batch('a', 'b'));
    b.t.send(batch('b', 'a'));
  }
  const all = Array.from({ length: n }, (_, i) => i);
  await waitFor(() => b.received.length === n && a.received.length === n, 15_000, 'delivery');
  assert.deepEqual(seqs(b, 'a'), all);
  assert.deepEqual(seqs(a, 'b'), all);
  assert.equal(a.t.stats().dropped, 0);
  assert.equal(b.t.stats().framesReceived, n);
  assert.deepEqual(b.received[7], appendMessage('a', 'b', 7));
  await Promise.all([a.t.stop(), b.t.stop()]);
});

test('an oversized length prefix closes that connection; others keep working', T, async () => {
  const dir = new Map<string, string>();
  const a = await startNode('a', dir);
  const b = await startNode('b', dir);
  await roundTrip(a, b, 1);
  const huge = Buffer.alloc(4);
  huge.writeUInt32BE(0xfffffff0);
  assert.equal(await rawSession(b.port, [encodeHello('x', 'b'), huge]), true, 'closed');
  assert.ok(warned(b, 'FRAME_TOO_LARGE'));
  await roundTrip(a, b, 2);
  assert.equal(b.t.stats().badFrames, 1);
  await Promise.all([a.t.stop(), b.t.stop()]);
});

const hello = encodeHello('x', 'b');
const bad: [string, Uint8Array[], string][] = [
  ['garbage bytes', [Buffer.from('GET / HTTP/1.1\r\nHost: b\r\n\r\n')], 'FRAME_TOO_LARGE'],
  ['bad msgpack after hello', [hello, rawFrame(Buffer.from([0xc1, 0xc1]))], 'BAD_MSGPACK'],
  ['a message before hello', [frame(appendMessage('x', 'b', 1))], 'BAD_HANDSHAKE'],
  ['hello for another node', [encodeHello('x', 'c')], 'BAD_HANDSHAKE'],
  [
    'a wrong protocol version',
    [rawFrame(packr.pack({ type: 'hello', version: 999, from: 'x', to: 'b' }))],
    'BAD_VERSION',
  ],
  [
    'an unknown message type',
    [hello, rawFrame(packr.pack({ type: 'gossip', from: 'x', to: 'b', term: 1 }))],
    'UNKNOWN_TYPE',
  ],
  [
    'a bad field',
    [hello, rawFrame(packr.pack({ type: 'timeoutNow', from: 'x', to: 'b', term: -1 }))],
    'BAD_FIELD',
  ],
  ['a message from someone else', [hello, frame(appendMessage('y', 'b', 1))], 'BAD_HANDSHAKE'],
  ['no hello in time', [], 'BAD_HANDSHAKE'],
];

test(
  'bad input closes just that connection with a warn line naming reason and remote',
  T,
  async () => {
    const dir = new Map<string, string>();
    const a = await startNode('a', dir);
    const b = await startNode('b', dir, { ...fastTuning, dialTimeoutMs: 200 });
    for (const [name, chunks, code] of bad) {
      const before = b.lines.length;
      assert.equal(await rawSession(b.port, chunks), true, `${name}: connection closed`);
      const line = b.lines.slice(before).find((l) => l.level >= WARN);
      assert.equal(line?.['code'], code, name);
      assert.match(String(line['remote']), /127\.0\.0\.1/);
    }
    await roundTrip(a, b, 1);
    assert.equal(b.t.stats().badFrames, bad.length);
    assert.deepEqual(
      b.received.map((m) => m.from),
      ['a'],
      'nothing from the bad connections',
    );
    await Promise.all([a.t.stop(), b.t.stop()]);
  },
);

test('a hello meant for another node is refused; the dialer keeps serving others', T, async () => {
  const dir = new Map<string, string>();
  const a = await startNode('a', dir);
  const b = await startNode('b', dir);
  dir.set('c', dir.get('b') ?? ''); // a believes c lives at b's address
  a.t.send([appendMessage('a', 'c', 1)]);
  await waitFor(() => warned(b, 'BAD_HANDSHAKE'), 5000, 'b refuses the hello meant for c');
  await roundTrip(a, b, 2);
  await Promise.all([a.t.stop(), b.t.stop()]);
});

test('a message addressed to another node is dropped with a debug line', T, async () => {
  const b = await startNode('b', new Map());
  const chunks = [hello, frame(appendMessage('x', 'c', 1)), frame(appendMessage('x', 'b', 2))];
  const client = rawClient(b.port, chunks);
  await waitFor(() => b.received.length === 1, 5000, 'the message for b arrives');
  assert.equal(b.t.stats().misaddressed, 1);
  assert.ok(b.lines.some((l) => l.level === DEBUG && l.msg === 'message for another node'));
  assert.equal(b.t.stats().badFrames, 0, 'the connection stays open');
  client.socket.destroy();
  await client.closed;
  await b.t.stop();
});

test("a peer's new connection replaces its older one", T, async () => {
  const b = await startNode('b', new Map());
  const first = rawClient(b.port, [hello]);
  await waitFor(() => b.t.stats().inboundConnections === 1, 5000, 'first connection');
  await new Promise((r) => setTimeout(r, 20)); // let its hello be processed
  const second = rawClient(b.port, [hello, frame(appendMessage('x', 'b', 1))]);
  assert.equal(await first.closed, true, 'older connection closed');
  await waitFor(() => b.received.length === 1, 5000, 'the new connection serves');
  assert.deepEqual(b.disconnected, [], 'a replaced connection is not a lost peer');
  second.socket.destroy();
  await second.closed;
  await waitFor(() => b.disconnected.length === 1, 5000, 'the current connection closed');
  assert.deepEqual(b.disconnected, ['x']);
  await b.t.stop();
});

test('a peer whose process goes away is reported disconnected once', T, async () => {
  // Followers use this to notice a dead leader at once (its sockets are reset with it).
  const dir = new Map<string, string>();
  const a = await startNode('a', dir);
  const b = await startNode('b', dir);
  await roundTrip(a, b, 0);
  assert.deepEqual(b.disconnected, []);
  await a.t.stop();
  await waitFor(() => b.disconnected.length > 0, 5000, 'b notices');
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(b.disconnected, ['a']);
  assert.deepEqual(a.disconnected, [], 'a stopped transport reports nothing');
  await b.t.stop();
});

test('a restarted receiver on the same port gets messages again after reconnect', T, async () => {
  const dir = new Map<string, string>();
  const a = await startNode('a', dir);
  const b1 = await startNode('b', dir);
  await roundTrip(a, b1, 0);
  await b1.t.stop();
  // Sends while b is down are lost or queued; either is fine for Raft.
  a.t.send([appendMessage('a', 'b', 1)]);
  await new Promise((r) => setTimeout(r, 50));
  const b2 = await startNode('b', dir, fastTuning, b1.port);
  let seq = 2;
  const timer = setInterval(() => a.t.send([appendMessage('a', 'b', seq++)]), 10);
  try {
    await waitFor(() => seqs(b2, 'a').length >= 3, 10_000, 'delivery resumes');
  } finally {
    clearInterval(timer);
  }
  assert.ok(a.t.stats().reconnects >= 1);
  const got = seqs(b2, 'a');
  assert.deepEqual(
    got,
    [...got].sort((x, y) => x - y),
    'in order',
  );
  await Promise.all([a.t.stop(), b2.t.stop()]);
});

test('a peer that connects to us is redialed at once, not after its backoff', T, async () => {
  // Backoff so long that only the peer's own connection can bring the link back in time.
  const slow = { ...fastTuning, backoffMinMs: 60_000, backoffMaxMs: 60_000 };
  const dir = new Map<string, string>();
  const a = await startNode('a', dir, slow);
  const b1 = await startNode('b', dir, slow);
  await roundTrip(a, b1, 0);
  await b1.t.stop();
  // a's link to b fails and waits out its backoff (a minute).
  a.t.send([appendMessage('a', 'b', 1)]);
  await waitFor(() => a.t.stats().peers['b']?.connected === false, 5000, 'a loses b');
  await new Promise((r) => setTimeout(r, 200));
  const b2 = await startNode('b', dir, slow, b1.port);
  await roundTrip(b2, a, 2); // b dials a: a learns that b is back
  await roundTrip(a, b2, 3);
  await Promise.all([a.t.stop(), b2.t.stop()]);
});

test('a stalled and an unreachable peer neither block others nor grow queues', T, async () => {
  const dir = new Map<string, string>();
  const maxQueued = 256 * 1024;
  const a = await startNode('a', dir, {
    ...fastTuning,
    maxFrameBytes: 64 * 1024,
    maxQueuedBytesPerPeer: maxQueued,
  });
  const b = await startNode('b', dir);
  const stall = await stallingServer();
  dir.set('slow', `127.0.0.1:${String(stall.port)}`);
  dir.set('dead', `127.0.0.1:${String(await deadPort())}`);
  const n = 2000;
  let maxQueuedSeen = 0;
  for (let i = 0; i < n; i++) {
    const big = (to: string): Message => appendMessage('a', to, i, 32 * 1024);
    a.t.send([big('slow'), big('dead'), appendMessage('a', 'b', i)]);
    for (const p of Object.values(a.t.stats().peers))
      maxQueuedSeen = Math.max(maxQueuedSeen, p.queuedBytes);
    if (i % 100 === 0) await new Promise((r) => setImmediate(r)); // let sockets make progress
  }
  await waitFor(() => seqs(b, 'a').length === n, 10_000, 'b gets everything');
  const s = a.t.stats();
  assert.ok(maxQueuedSeen <= maxQueued, `queue bounded: ${String(maxQueuedSeen)}`);
  assert.ok(s.dropped > 0, 'overflow is dropped, not buffered');
  assert.equal(s.peers['dead']?.connected, false);
  assert.ok(s.dialFailures > 0);
  await a.t.stop();
  await b.t.stop();
  await stall.close();
});

test('setPeer moves a peer to its new address', T, async () => {
  const dir = new Map<string, string>();
  const a = await startNode('a', dir);
  const b1 = await startNode('b', dir);
  await roundTrip(a, b1, 1);
  const other = new Map<string, string>();
  const b2 = await startNode('b', other);
  a.t.setPeer('b', other.get('b') ?? '');
  let seq = 2;
  const timer = setInterval(() => a.t.send([appendMessage('a', 'b', seq++)]), 10);
  try {
    await waitFor(() => seqs(b2, 'a').length > 0, 5000, 'delivery at the new address');
  } finally {
    clearInterval(timer);
  }
  await Promise.all([a.t.stop(), b1.t.stop(), b2.t.stop()]);
});

test('application frames queued in one event-loop turn leave in one socket write', T, async () => {
  const dir = new Map<string, string>();
  const a = await startNode('a', dir);
  const b = await startNode('b', dir);
  await roundTrip(a, b, 1); // connected
  const before = a.t.stats();
  for (let i = 0; i < 50; i++) assert.equal(a.t.sendApp('b', new Uint8Array([i])), true);
  await waitFor(() => b.apps.length === 50, 5000, 'every frame arrives');
  assert.deepEqual(
    b.apps.map((x) => x.payload[0]),
    Array.from({ length: 50 }, (_, i) => i),
    'in order',
  );
  const after = a.t.stats();
  assert.equal(after.framesSent - before.framesSent, 50);
  assert.equal(after.socketWrites - before.socketWrites, 1);
  await Promise.all([a.t.stop(), b.t.stop()]);
});

test('application frames travel next to Raft messages; no route means false', T, async () => {
  const dir = new Map<string, string>();
  const a = await startNode('a', dir);
  const b = await startNode('b', dir);
  a.t.send([appendMessage('a', 'b', 1)]);
  assert.equal(a.t.sendApp('b', new Uint8Array([9, 9])), true);
  a.t.send([appendMessage('a', 'b', 2)]);
  await waitFor(() => b.received.length === 2 && b.apps.length === 1, 5000, 'both kinds arrive');
  assert.deepEqual(b.apps[0], { from: 'a', payload: new Uint8Array([9, 9]) });
  assert.equal(a.t.sendApp('nobody', new Uint8Array(1)), false, 'no address');
  a.t.send([appendMessage('a', 'nobody', 1)]);
  assert.equal(a.t.stats().peers['nobody'], undefined, 'no link for a peer without address');
  assert.equal(a.t.stats().dropped, 2);
  await Promise.all([a.t.stop(), b.t.stop()]);
  assert.equal(a.t.sendApp('b', new Uint8Array(1)), false, 'stopped');
});

/** How many sockets, listeners and timers the process holds (the runner's pipes vary). */
function resources(): Map<string, number> {
  const kinds = new Set(['TCPWrap', 'TCPServerWrap', 'Timeout']);
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) {
    if (kinds.has(r)) counts.set(r, (counts.get(r) ?? 0) + 1);
  }
  return counts;
}

test('stop() releases every socket and timer', T, async () => {
  const before = resources();
  const dir = new Map<string, string>();
  dir.set('dead', `127.0.0.1:${String(await deadPort())}`);
  const a = await startNode('a', dir);
  const b = await startNode('b', dir);
  await roundTrip(a, b, 1);
  await roundTrip(b, a, 1);
  a.t.send([appendMessage('a', 'dead', 1)]); // leaves a backoff timer pending
  await new Promise((r) => setTimeout(r, 30));
  await Promise.all([a.t.stop(), b.t.stop()]);
  a.t.send([appendMessage('a', 'b', 2)]); // after stop: dropped, no new socket
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(resources(), before);
});

test(
  'a node that does not know a peer yet answers it at the address from its hello',
  T,
  async () => {
    // A new node has no configuration yet: it learns the leader's address from the leader's hello.
    const aPort = await freePort();
    const gotA: Message[] = [];
    const gotB: Message[] = [];
    const dirA = new Map<string, string>();
    const b = createTcpTransport(
      { id: 'b', listen: { host: '127.0.0.1', port: 0 }, peers: () => undefined, ...fastTuning },
      { logger: captureLogger().logger, onMessage: (m) => gotB.push(m) },
    );
    dirA.set('b', `127.0.0.1:${String((await b.start()).port)}`);
    const a = createTcpTransport(
      {
        id: 'a',
        listen: { host: '127.0.0.1', port: aPort },
        advertise: `127.0.0.1:${String(aPort)}`,
        peers: (p) => dirA.get(p),
        ...fastTuning,
      },
      { logger: captureLogger().logger, onMessage: (m) => gotA.push(m) },
    );
    await a.start();
    try {
      a.send([appendMessage('a', 'b', 1)]);
      await waitFor(() => gotB.length === 1, 5000, 'b received from a');
      b.send([appendMessage('b', 'a', 2)]);
      await waitFor(() => gotA.length === 1, 5000, 'a received the answer from b');
    } finally {
      await a.stop();
      await b.stop();
    }
  },
);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return addr.port;
}
