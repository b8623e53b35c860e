// Seeds 1-100: bootstrap and autopilot with gossip and Raft under crashes, partitions, slow
// agents and loss never make two clusters or take the cluster below quorum, and it settles.
import { test } from 'node:test';
import { checkSeeds } from './seed-range.ts';

test('cluster simulation seeds 1-100 pass every invariant and settle after healing', () => {
  checkSeeds(1, 100);
});
