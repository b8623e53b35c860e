// What a SIGTERMed agent does with its membership: replicas always leave; a voter leaves only
// with a replacement at hand and a live quorum behind it, else it stops like a crash.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planDeparture } from '../../src/cluster/departure.ts';

const alive =
  (dead: string[] = []) =>
  (id: string) =>
    !dead.includes(id);

describe('departure on SIGTERM', () => {
  test('a replica leaves', () => {
    const d = planDeparture({
      selfId: 'd',
      voters: ['a', 'b', 'c'],
      learners: ['d'],
      targetVoters: 3,
      isAlive: alive(),
    });
    assert.equal(d.leave, true);
  });

  test('a voter with a live replica to replace it leaves', () => {
    const d = planDeparture({
      selfId: 'a',
      voters: ['a', 'b', 'c'],
      learners: ['d'],
      targetVoters: 3,
      isAlive: alive(),
    });
    assert.equal(d.leave, true);
  });

  test('a voter without a replacement stays (a restart resumes as a voter)', () => {
    const none = planDeparture({
      selfId: 'a',
      voters: ['a', 'b', 'c'],
      learners: [],
      targetVoters: 3,
      isAlive: alive(),
    });
    assert.equal(none.leave, false);
    const deadSpare = planDeparture({
      selfId: 'a',
      voters: ['a', 'b', 'c'],
      learners: ['d'],
      targetVoters: 3,
      isAlive: alive(['d']),
    });
    assert.equal(deadSpare.leave, false);
  });

  test('a voter leaves when there are voters to spare, never without a live quorum behind', () => {
    const spare = planDeparture({
      selfId: 'a',
      voters: ['a', 'b', 'c', 'd', 'e'],
      learners: [],
      targetVoters: 3,
      isAlive: alive(),
    });
    assert.equal(spare.leave, true);
    const noQuorum = planDeparture({
      selfId: 'a',
      voters: ['a', 'b', 'c'],
      learners: ['d'],
      targetVoters: 3,
      isAlive: alive(['b', 'c']),
    });
    assert.equal(noQuorum.leave, false);
    const alone = planDeparture({
      selfId: 'a',
      voters: ['a'],
      learners: ['d'],
      targetVoters: 1,
      isAlive: alive(),
    });
    assert.equal(alone.leave, false);
  });
});
