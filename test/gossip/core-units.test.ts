// The small pieces: memberlist's scaling formulas, the suspicion timer, awareness, address
// conversion, size estimates, config presets, and that a seed replays a core exactly.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Awareness } from '../../src/gossip/core/awareness.ts';
import {
  bytesToHost,
  defaultLANConfig,
  defaultLocalConfig,
  estimateSize,
  GossipCore,
  hostToBytes,
  packetSize,
  pushPullScaleMs,
  suspicionTimeoutMs,
  suspicionTotalMs,
  validateConfig,
} from '../../src/gossip/core/index.ts';
import { Suspicion } from '../../src/gossip/core/suspicion.ts';
import type { GossipMessage } from '../../src/gossip/messages.ts';
import { encodeMessage } from '../../src/gossip/wire/index.ts';
import { aliveOf, makeCore, simAddr, Wiring } from '../../src/gossip/sim/testkit.ts';
import { Prng } from '../../src/sim/prng.ts';

describe('scaling formulas', () => {
  test('suspicion timeout: mult * max(1, log10 n) * interval', () => {
    const cases: [number, number][] = [
      [5, 1000],
      [10, 1000],
      [50, 1698],
      [100, 2000],
      [500, 2698],
      [1000, 3000],
    ];
    for (const [n, ms] of cases) assert.equal(suspicionTimeoutMs(3, n, 1000) / 3, ms, `n=${n}`);
  });

  test('total suspicion time falls from max to min with log(n+1)/log(k+1)', () => {
    assert.equal(suspicionTotalMs(0, 3, 2000, 30_000), 30_000);
    assert.equal(suspicionTotalMs(1, 3, 2000, 30_000), 16_000);
    assert.equal(suspicionTotalMs(2, 3, 2000, 30_000), 7810);
    assert.equal(suspicionTotalMs(3, 3, 2000, 30_000), 2000);
    assert.equal(suspicionTotalMs(5, 3, 2000, 30_000), 2000);
  });

  test('push/pull interval: one more multiple per doubling beyond 32 nodes', () => {
    assert.equal(pushPullScaleMs(1000, 32), 1000);
    assert.equal(pushPullScaleMs(1000, 33), 2000);
    assert.equal(pushPullScaleMs(1000, 64), 2000);
    assert.equal(pushPullScaleMs(1000, 65), 3000);
    assert.equal(pushPullScaleMs(30_000, 1000), 180_000);
  });
});

describe('suspicion timer', () => {
  test('starts at max; confirmations from new peers shrink it; the accuser does not count', () => {
    const s = new Suspicion('me', 3, 500, 2000, 0);
    assert.equal(s.deadlineMs(), 2000);
    assert.equal(s.confirm('me'), false);
    assert.equal(s.confirm('foo'), true);
    assert.equal(s.confirm('foo'), false);
    assert.equal(s.deadlineMs(), 1250);
    assert.equal(s.confirm('bar'), true);
    assert.equal(s.confirm('baz'), true);
    assert.equal(s.deadlineMs(), 500);
    assert.equal(s.confirm('qux'), false, 'no more than k confirmations are taken');
    assert.equal(s.confirmations(), 3);
  });

  test('with k = 0 the minimum applies from the start', () => {
    assert.equal(new Suspicion('me', 0, 500, 2000, 100).deadlineMs(), 600);
  });
});

describe('awareness', () => {
  test('stays in [0, max) and scales timeouts by score + 1', () => {
    const a = new Awareness(8);
    a.applyDelta(-3);
    assert.equal(a.healthScore(), 0);
    a.applyDelta(3);
    assert.equal(a.scaleMs(1000), 4000);
    a.applyDelta(100);
    assert.equal(a.healthScore(), 7);
  });
});

describe('addresses', () => {
  test('IPv4 and IPv6 text round-trips through bytes', () => {
    assert.deepEqual(hostToBytes('10.1.2.3'), Uint8Array.of(10, 1, 2, 3));
    assert.equal(bytesToHost(Uint8Array.of(10, 1, 2, 3)), '10.1.2.3');
    for (const h of ['::1', 'fe80::1:2', '2001:db8::ff00:42:8329', '1:2:3:4:5:6:7:8', '::']) {
      const b = hostToBytes(h);
      assert.equal(b?.length, 16, h);
      assert.equal(bytesToHost(b ?? new Uint8Array(0)), h);
    }
    assert.equal(bytesToHost(hostToBytes('::ffff:1.2.3.4') ?? new Uint8Array(0)), '1.2.3.4');
    assert.equal(
      bytesToHost(hostToBytes('[2001:db8:0:0:1:0:0:1]') ?? new Uint8Array(0)),
      '2001:db8::1:0:0:1',
    );
    for (const bad of ['host.example', '1.2.3', '256.1.1.1', '1::2::3', '']) {
      assert.equal(hostToBytes(bad), null, bad);
    }
  });
});

describe('sizes', () => {
  test('a compound packet costs 2 bytes of header plus 2 per part', () => {
    const ack: GossipMessage = { type: 'ackResp', body: { SeqNo: 1, Payload: new Uint8Array(0) } };
    const one = estimateSize(ack);
    assert.equal(packetSize([ack], estimateSize), one);
    assert.equal(packetSize([ack, ack], estimateSize), 2 + 2 * (2 + one));
  });
});

describe('size estimates against the wire codec', () => {
  test('never below the encoded length', () => {
    const core = makeCore(0);
    core.receivePacket(simAddr(1), [aliveOf(1, 7, new Uint8Array(40)), aliveOf(300, 123_456)]);
    core.join([simAddr(1)]);
    const msgs: GossipMessage[] = [
      aliveOf(5, 1),
      aliveOf(7, 70_000, new Uint8Array(300)),
      {
        type: 'ping',
        body: {
          SeqNo: 5,
          Node: 'n1',
          SourceAddr: Uint8Array.of(10, 0, 0, 1),
          SourcePort: 7946,
          SourceNode: 'n0',
        },
      },
      { type: 'ping', body: { SeqNo: 4_000_000_000, Node: 'n1' } },
      {
        type: 'indirectPing',
        body: { SeqNo: 9, Target: new Uint8Array(16), Port: 1, Node: 'n1', Nack: true },
      },
      { type: 'ackResp', body: { SeqNo: 5, Payload: new Uint8Array(0) } },
      { type: 'nackResp', body: { SeqNo: 300 } },
      {
        type: 'suspect',
        body: { Incarnation: 5, Node: 'a-node-name-longer-than-thirty-two-chars', From: 'x' },
      },
      { type: 'dead', body: { Incarnation: 1, Node: 'n', From: 'n' } },
      { type: 'err', body: { Error: 'boom' } },
      ...core.drain().streams.map((s) => s.msg),
    ];
    for (const m of msgs) {
      const real = encodeMessage(m).length;
      assert.ok(estimateSize(m) >= real, `${m.type}: estimate ${estimateSize(m)} < ${real}`);
    }
  });
});

describe('config', () => {
  test('presets are valid and match memberlist', () => {
    validateConfig(defaultLANConfig);
    validateConfig(defaultLocalConfig);
    assert.equal(defaultLANConfig.probeIntervalMs, 1000);
    assert.equal(defaultLANConfig.suspicionMult, 4);
    assert.equal(defaultLocalConfig.probeTimeoutMs, 200);
    assert.equal(defaultLocalConfig.indirectChecks, 1);
    assert.throws(() => validateConfig({ ...defaultLANConfig, protocolVersion: 6 }), RangeError);
    assert.throws(() => validateConfig({ ...defaultLANConfig, probeIntervalMs: 0 }), RangeError);
  });

  test('the constructor rejects bad names, addresses and meta', () => {
    const base = {
      name: 'a',
      addr: simAddr(1),
      meta: new Uint8Array(0),
      config: defaultLANConfig,
      random: new Prng(1),
      nowMs: 0,
    };
    assert.throws(() => new GossipCore({ ...base, name: '' }), RangeError);
    assert.throws(
      () => new GossipCore({ ...base, addr: { host: 'x.example', port: 1 } }),
      RangeError,
    );
    assert.throws(() => new GossipCore({ ...base, meta: new Uint8Array(513) }), RangeError);
  });
});

describe('determinism', () => {
  function run(seed: number): string {
    const cores = [0, 1, 2, 3].map((i) => makeCore(i, {}, seed));
    const w = new Wiring(cores);
    for (const c of cores.slice(1)) c.join([simAddr(0)]);
    w.flush();
    w.down.add(3);
    w.advanceTo(30_000);
    return JSON.stringify(w.log.map((d) => [d.packets.length, d.events.map((e) => e.type)]));
  }

  test('after tick(t) the next deadline is always later than t (the driver makes progress)', () => {
    const cores = [0, 1, 2, 3, 4, 5].map((i) => makeCore(i, {}, 9));
    const w = new Wiring(cores);
    for (const c of cores.slice(1)) c.join([simAddr(0)]);
    w.flush();
    for (let t = 0; t < 60_000; t += 37) {
      if (t === 20_000) w.down.add(4);
      w.advanceTo(t);
      cores.forEach((c, i) => {
        if (!w.down.has(i)) assert.ok(c.nextTickAt() > w.now, `${c.name} at ${w.now}`);
      });
    }
  });

  test('the same seed replays the same outputs', () => {
    assert.equal(run(5), run(5));
    assert.notEqual(run(5), run(6));
  });
});
