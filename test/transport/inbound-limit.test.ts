// Inbound connection limits: strangers that never say hello cannot hold more than
// maxPendingHellos sockets, the total stays under maxInboundConnections, and a real peer still
// gets through once the strangers are gone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appendMessage, waitFor } from './helpers.ts';
import { fastTuning, rawClient, startNode } from './net-helpers.ts';

const T = { timeout: 20_000 };

test(
  'connections beyond the pending-hello cap are closed at once; a peer still connects',
  T,
  async () => {
    const dir = new Map<string, string>();
    const tuning = {
      ...fastTuning,
      dialTimeoutMs: 1500,
      maxInboundConnections: 3,
      maxPendingHellos: 2,
    };
    const b = await startNode('b', dir, tuning);
    const a = await startNode('a', dir, fastTuning);
    try {
      const silent = [0, 1].map(() => rawClient(b.port, [], 10_000));
      await waitFor(
        () => b.t.stats().inboundConnections === 2,
        5000,
        'two silent sockets accepted',
      );
      const started = Date.now();
      const third = rawClient(b.port, [], 10_000);
      assert.equal(await third.closed, true, 'the third silent socket is closed by the server');
      assert.ok(Date.now() - started < 1000, 'closed on arrival, not at the hello timeout');
      assert.equal(b.t.stats().inboundRefused, 1);
      assert.ok(b.t.stats().inboundConnections <= 2);
      assert.ok(b.lines.some((l) => l.msg === 'refusing inbound connection: limit reached'));
      // The first two are closed by the hello timeout; then a real peer connects and delivers.
      for (const s of silent) assert.equal(await s.closed, true);
      a.t.send([appendMessage('a', 'b', 7)]);
      await waitFor(
        () => b.received.some((m) => m.from === 'a' && m.type === 'app' && m.commit === 7),
        5000,
        'b receives from a',
      );
      assert.ok(b.t.stats().inboundConnections <= 3);
    } finally {
      await a.t.stop();
      await b.t.stop();
    }
  },
);

test('the total cap counts peers that said hello', T, async () => {
  const dir = new Map<string, string>();
  const tuning = { ...fastTuning, maxInboundConnections: 1, maxPendingHellos: 1 };
  const b = await startNode('b', dir, tuning);
  const a = await startNode('a', dir, fastTuning);
  try {
    a.t.send([appendMessage('a', 'b', 1)]);
    await waitFor(() => b.received.length === 1, 5000, 'b receives from a');
    const stranger = rawClient(b.port, [], 10_000);
    assert.equal(await stranger.closed, true);
    assert.equal(b.t.stats().inboundRefused, 1);
    a.t.send([appendMessage('a', 'b', 2)]);
    await waitFor(() => b.received.length === 2, 5000, 'the peer keeps its connection');
  } finally {
    await a.t.stop();
    await b.t.stop();
  }
});

test('limits must be positive integers', async () => {
  await assert.rejects(startNode('x', new Map(), { maxPendingHellos: 0 }), /maxPendingHellos/);
});
