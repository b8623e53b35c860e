// Values at msgpackr's encoding boundaries, shared by the hand-written encoder tests of storage
// and transport.
import fc from 'fast-check';
import type { Entry } from '../../src/raft/index.ts';

/** Where msgpackr switches number encodings: fixint, uint8, uint16, uint32, float64. */
export const UINT_EDGES: readonly number[] = [
  0,
  1,
  0x7f,
  0x80,
  0xff,
  0x100,
  0xffff,
  0x10000,
  0xffffffff,
  2 ** 32,
  2 ** 32 + 1,
  2 ** 40 + 3,
  Number.MAX_SAFE_INTEGER - 1,
  Number.MAX_SAFE_INTEGER,
];

/** Where bin headers switch: bin8, bin16, bin32. */
export const DATA_EDGES: readonly number[] = [0, 1, 0xff, 0x100, 0xffff, 0x10000];

export const arbUint = fc.oneof(fc.constantFrom(...UINT_EDGES), fc.nat(), fc.maxSafeNat());

const arbData = fc.oneof(
  fc.uint8Array({ maxLength: 400 }),
  fc.constantFrom(...DATA_EDGES).map((n) => new Uint8Array(n).fill(n & 0xff)),
);

/** A normal entry with the key order the core builds. */
export const arbNormalEntry: fc.Arbitrary<Entry> = fc
  .tuple(arbUint, arbUint, arbData)
  .map(([term, index, data]) => ({ type: 'normal', term, index, data }));
