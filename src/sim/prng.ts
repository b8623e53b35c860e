// Seeded pseudo-random numbers for the simulator: sfc32 (a small, fast 128-bit-state generator)
// seeded from a 32-bit integer through a splitmix-style mixer. Every source of randomness in a
// run is a Prng derived from the run seed and a label, so adding draws in one place (say, a
// client) never perturbs another (say, a node's election timer).
import type { Random } from '../raft/options.ts';

const TWO_POW_32 = 0x1_0000_0000;

/** One step of a splitmix32-like mixer: a well-spread 32-bit value from any 32-bit state. */
function mix32(x: number): number {
  let z = x >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97) >>> 0;
  return (z ^ (z >>> 15)) >>> 0;
}

/** FNV-1a over the UTF-16 code units of a label. */
export function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export class Prng implements Random {
  /** The 32-bit seed this generator was built from (for fork labels and error messages). */
  readonly seed: number;
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new RangeError(`prng seed must be an integer, got ${seed}`);
    this.seed = seed >>> 0;
    let s = this.seed;
    const word = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      return mix32(s);
    };
    this.a = word();
    this.b = word();
    this.c = word();
    this.d = word();
    // Warm up so that nearby seeds diverge fully.
    for (let i = 0; i < 12; i++) this.next();
  }

  /** An independent generator for `label`, a pure function of this seed and the label. */
  fork(label: string): Prng {
    return new Prng(mix32(this.seed ^ mix32(hashLabel(label))));
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1). */
  float(): number {
    return this.next() / TWO_POW_32;
  }

  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number {
    if (!Number.isInteger(maxExclusive) || maxExclusive <= 0) {
      throw new RangeError(`prng int: bound must be a positive integer, got ${maxExclusive}`);
    }
    return Math.floor(this.float() * maxExclusive);
  }

  /** An integer in [min, max] (both inclusive). */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new RangeError('prng pick: empty array');
    return item;
  }

  /** A new array with the items in random order (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }

  /** Picks a key with probability proportional to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const keys = Object.keys(weights) as K[];
    let total = 0;
    for (const k of keys) total += weights[k];
    let r = this.float() * total;
    for (const k of keys) {
      r -= weights[k];
      if (r < 0) return k;
    }
    const last = keys[keys.length - 1];
    if (last === undefined) throw new RangeError('prng weighted: no keys');
    return last;
  }
}
