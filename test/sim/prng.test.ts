import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Prng } from '../../src/sim/prng.ts';

function draws(p: Prng, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(p.next());
  return out;
}

describe('Prng', () => {
  it('replays the same sequence for the same seed', () => {
    assert.deepEqual(draws(new Prng(42), 100), draws(new Prng(42), 100));
  });

  it('gives different sequences for nearby seeds', () => {
    const a = draws(new Prng(1), 20);
    const b = draws(new Prng(2), 20);
    assert.notDeepEqual(a, b);
    // Not merely shifted copies of each other.
    assert.equal(a.filter((x) => b.includes(x)).length, 0);
  });

  it('forks as a pure function of seed and label, whatever the parent drew', () => {
    const fresh = new Prng(7).fork('node:n1');
    const used = new Prng(7);
    draws(used, 50);
    assert.deepEqual(draws(used.fork('node:n1'), 20), draws(fresh, 20));
    assert.notDeepEqual(
      draws(new Prng(7).fork('node:n2'), 20),
      draws(new Prng(7).fork('node:n1'), 20),
    );
    assert.notDeepEqual(
      draws(new Prng(8).fork('node:n1'), 20),
      draws(new Prng(7).fork('node:n1'), 20),
    );
  });

  it('keeps int, range and float within bounds', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 1_000_000 }), (seed, bound) => {
        const p = new Prng(seed);
        for (let i = 0; i < 20; i++) {
          const x = p.int(bound);
          assert.ok(Number.isInteger(x) && x >= 0 && x < bound);
          const r = p.range(-3, bound);
          assert.ok(Number.isInteger(r) && r >= -3 && r <= bound);
          const f = p.float();
          assert.ok(f >= 0 && f < 1);
        }
      }),
    );
  });

  it('rejects bad bounds and empty picks', () => {
    const p = new Prng(1);
    assert.throws(() => p.int(0), RangeError);
    assert.throws(() => p.int(1.5), RangeError);
    assert.throws(() => p.pick([]), RangeError);
    assert.throws(() => new Prng(0.5), RangeError);
  });

  it('spreads int() roughly uniformly', () => {
    const p = new Prng(99);
    const buckets = new Array<number>(10).fill(0);
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const k = p.int(10);
      buckets[k] = (buckets[k] ?? 0) + 1;
    }
    for (const b of buckets) assert.ok(Math.abs(b - n / 10) < n / 100, `bucket ${b}`);
  });

  it('chance(0) never and chance(1) always holds', () => {
    const p = new Prng(3);
    for (let i = 0; i < 1000; i++) {
      assert.equal(p.chance(0), false);
      assert.equal(p.chance(1), true);
    }
  });

  it('shuffles into a permutation without touching the input', () => {
    fc.assert(
      fc.property(fc.integer(), fc.array(fc.integer(), { maxLength: 30 }), (seed, items) => {
        const copy = [...items];
        const out = new Prng(seed).shuffle(items);
        assert.deepEqual(items, copy);
        assert.deepEqual(
          [...out].sort((a, b) => a - b),
          [...items].sort((a, b) => a - b),
        );
      }),
    );
  });

  it('picks by weight and never a zero-weight key', () => {
    const p = new Prng(5);
    const seen = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 30_000; i++) seen[p.weighted({ a: 1, b: 2, c: 0 })]++;
    assert.equal(seen.c, 0);
    assert.ok(seen.b > 1.8 * seen.a && seen.b < 2.2 * seen.a, JSON.stringify(seen));
  });
});
