import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Network, type NetworkOptions } from '../../src/sim/network.ts';
import { Prng } from '../../src/sim/prng.ts';

interface Msg {
  readonly from: string;
  readonly to: string;
  readonly n: number;
}

function net(options: Partial<NetworkOptions> = {}, seed = 1): Network<Msg> {
  return new Network<Msg>(new Prng(seed), options);
}

/** Delivers everything, returning [time, message] in delivery order. */
function drain(n: Network<Msg>): [number, Msg][] {
  const out: [number, Msg][] = [];
  for (;;) {
    const t = n.nextTime();
    if (t === Infinity) return out;
    const d = n.deliverNext(t);
    if (d !== undefined) out.push([d.time, d.message]);
  }
}

function sendMany(n: Network<Msg>, count: number, from = 'a', to = 'b', now = 0): void {
  for (let i = 0; i < count; i++) n.send({ from, to, n: i }, now);
}

describe('Network', () => {
  it('delivers each message once, within the delay bounds, in time order', () => {
    const n = net({ minDelay: 3, maxDelay: 9 });
    sendMany(n, 200, 'a', 'b', 100);
    const got = drain(n);
    assert.equal(got.length, 200);
    assert.deepEqual(
      got.map(([, m]) => m.n).sort((x, y) => x - y),
      Array.from({ length: 200 }, (_, i) => i),
    );
    for (const [t] of got) assert.ok(t >= 103 && t <= 109, `time ${t}`);
    for (let i = 1; i < got.length; i++) assert.ok((got[i]?.[0] ?? 0) >= (got[i - 1]?.[0] ?? 0));
    assert.equal(n.stats.delivered, 200);
  });

  it('reorders messages through random delays', () => {
    const n = net({ minDelay: 1, maxDelay: 20 });
    sendMany(n, 50);
    const order = drain(n).map(([, m]) => m.n);
    assert.notDeepEqual(
      order,
      [...order].sort((x, y) => x - y),
    );
  });

  it('does not deliver before the message is due', () => {
    const n = net({ minDelay: 5, maxDelay: 5 });
    n.send({ from: 'a', to: 'b', n: 1 }, 0);
    assert.equal(n.deliverNext(4), undefined);
    assert.equal(n.deliverNext(5)?.message.n, 1);
  });

  it('loses everything at loss rate 1 and nothing at 0', () => {
    const lossy = net({ lossRate: 1 });
    sendMany(lossy, 100);
    assert.equal(drain(lossy).length, 0);
    assert.equal(lossy.stats.lost, 100);
    const clean = net({ lossRate: 0 });
    sendMany(clean, 100);
    assert.equal(drain(clean).length, 100);
  });

  it('loses about the configured fraction', () => {
    const n = net({ lossRate: 0.3 });
    sendMany(n, 10_000);
    const got = drain(n).length;
    assert.ok(got > 6700 && got < 7300, `delivered ${got}`);
  });

  it('duplicates every message at dup rate 1', () => {
    const n = net({ dupRate: 1 });
    sendMany(n, 30);
    const got = drain(n).map(([, m]) => m.n);
    assert.equal(got.length, 60);
    for (let i = 0; i < 30; i++) assert.equal(got.filter((x) => x === i).length, 2);
    assert.equal(n.stats.duplicated, 30);
  });

  it('cuts links in one direction only (asymmetric partition)', () => {
    const n = net();
    n.cut('a', 'b');
    n.send({ from: 'a', to: 'b', n: 1 }, 0);
    n.send({ from: 'b', to: 'a', n: 2 }, 0);
    n.send({ from: 'a', to: 'c', n: 3 }, 0);
    assert.deepEqual(
      drain(n)
        .map(([, m]) => m.n)
        .sort(),
      [2, 3],
    );
    assert.equal(n.stats.cut, 1);
    n.heal('a', 'b');
    n.send({ from: 'a', to: 'b', n: 4 }, 0);
    assert.deepEqual(
      drain(n).map(([, m]) => m.n),
      [4],
    );
  });

  it('partitions groups symmetrically and keeps links inside each group', () => {
    const n = net();
    n.partition([
      ['a', 'b'],
      ['c', 'd', 'e'],
    ]);
    const ids = ['a', 'b', 'c', 'd', 'e'];
    let k = 0;
    const expected: number[] = [];
    for (const from of ids) {
      for (const to of ids) {
        if (from === to) continue;
        const same = ['a', 'b'].includes(from) === ['a', 'b'].includes(to);
        if (same) expected.push(k);
        n.send({ from, to, n: k++ }, 0);
      }
    }
    assert.deepEqual(
      drain(n)
        .map(([, m]) => m.n)
        .sort((x, y) => x - y),
      expected,
    );
    n.healAll();
    assert.deepEqual(n.cutList(), []);
  });

  it('isolates one node from the others', () => {
    const n = net();
    n.isolate('a', ['b', 'c']);
    assert.ok(n.isCut('a', 'b') && n.isCut('b', 'a') && n.isCut('c', 'a'));
    assert.ok(!n.isCut('b', 'c'));
  });

  it('drops messages whose link is cut while they are in flight', () => {
    const n = net({ minDelay: 10, maxDelay: 10 });
    n.send({ from: 'a', to: 'b', n: 1 }, 0);
    n.cut('a', 'b');
    assert.equal(drain(n).length, 0);
    assert.equal(n.stats.cut, 1);
  });

  it('bounds the in-flight queue, dropping sends over the cap', () => {
    const n = net({ maxInFlight: 10 });
    sendMany(n, 25);
    assert.equal(n.inFlight, 10);
    assert.equal(n.stats.overflow, 15);
    assert.equal(drain(n).length, 10);
    sendMany(n, 5);
    assert.equal(n.inFlight, 5);
  });

  it('adds the slow-path delay to a fraction of messages', () => {
    const n = net({ minDelay: 1, maxDelay: 1, slowRate: 1, slowDelay: 50 });
    sendMany(n, 200);
    const times = drain(n).map(([t]) => t);
    assert.ok(times.some((t) => t > 20));
    assert.ok(times.every((t) => t >= 1 && t <= 51));
  });

  it('discards in-flight messages on request', () => {
    const n = net();
    sendMany(n, 5, 'a', 'b');
    sendMany(n, 5, 'c', 'b');
    assert.equal(
      n.discard((m) => m.from === 'a'),
      5,
    );
    assert.ok(drain(n).every(([, m]) => m.from === 'c'));
  });

  it('changes parameters at runtime and validates them', () => {
    const n = net();
    n.configure({ lossRate: 1 });
    sendMany(n, 10);
    assert.equal(drain(n).length, 0);
    assert.throws(() => n.configure({ lossRate: 2 }), RangeError);
    assert.throws(() => n.configure({ minDelay: 5, maxDelay: 2 }), RangeError);
    assert.throws(() => net({ maxInFlight: -1 }), RangeError);
  });

  it('is deterministic for a seed', () => {
    const run = (seed: number): [number, Msg][] => {
      const n = net({ lossRate: 0.2, dupRate: 0.2, maxDelay: 30 }, seed);
      sendMany(n, 100);
      return drain(n);
    };
    assert.deepEqual(run(11), run(11));
    assert.notDeepEqual(run(11), run(12));
  });
});
