import assert from 'node:assert/strict';
import { test } from 'node:test';
import { World, stepMs } from './autopilot-model.ts';
import type { StepRecord } from './autopilot-model.ts';
import type { AutopilotConfig } from '../../src/cluster/index.ts';

const seeds = Array.from({ length: 150 }, (_, k) => 1000 + k);
const chaosSteps = 240;
const calmSteps = 400;

function configFor(seed: number): AutopilotConfig {
  const targets = [1, 3, 3, 5];
  return {
    targetVoters: targets[seed % targets.length] ?? 3,
    stabilizationMs: 5_000,
    maxTrailingLogs: 250,
    failedGraceMs: 4_000,
    reapMs: 30_000,
  };
}

function quorum(n: number): number {
  return Math.floor(n / 2) + 1;
}

/** Checks the safety invariants of one executed step; returns a description of a violation. */
function violation(w: World, r: StepRecord): string | null {
  const a = r.action;
  if (a === null) return null;
  if (a.type === 'remove' && a.id === 'n1') return 'removed the leader itself';
  if (a.type === 'remove' && r.voters.includes(a.id)) {
    const rest = r.voters.filter((v) => v !== a.id);
    if (w.upVoterCount(rest) < quorum(rest.length)) {
      return `removing ${a.id} left ${w.upVoterCount(rest)} of ${rest.length} voters up`;
    }
  }
  if (a.type === 'promote') {
    const next = [...r.voters, a.id];
    if (!w.agent(a.id).up) return `promoted ${a.id}, which is down`;
    if (w.upVoterCount(next) < quorum(next.length)) return `promoting ${a.id} lost quorum`;
    if (!w.agent(a.id).tags.includes('consensus')) {
      // A consensus-tagged learner that has been up and a learner well past stabilization
      // must have been chosen instead.
      const settled = r.nowMs - w.config.stabilizationMs - 2 * stepMs;
      const better = r.learners.find((l) => {
        const ag = w.agent(l);
        return (
          ag.tags.includes('consensus') &&
          ag.up &&
          ag.gossip === 'alive' &&
          ag.gossipSinceMs <= settled &&
          ag.upSinceMs <= settled &&
          (w.learnerSinceMs.get(l) ?? Infinity) <= settled
        );
      });
      if (better !== undefined) return `promoted untagged ${a.id} over tagged ${better}`;
    }
  }
  return null;
}

function run(seed: number): World {
  const w = new World(seed, configFor(seed), 3 + (seed % 5));
  for (let s = 0; s < chaosSteps + calmSteps; s++) {
    if (s < chaosSteps && s % 4 === 0 && (s === 0 || s % 20 === 0 || (seed + s) % 3 === 0)) {
      w.chaos(seed % 4 === 1 && s % 40 === 0);
    }
    if (s === chaosSteps) w.restartVoters();
    const r = w.step();
    const bad = violation(w, r);
    if (bad !== null) assert.fail(`seed ${seed} at ${r.nowMs} ms: ${bad}`);
  }
  return w;
}

test('autopilot never removes below a quorum of healthy voters, nor itself (150 seeds)', () => {
  // Safety under random crashes, restarts, leaves and joins with lagging gossip, checked on the
  // model's ground truth (which agents are really up), not on autopilot's own view.
  let removals = 0;
  let promotions = 0;
  for (const seed of seeds) {
    const w = run(seed);
    for (const r of w.trace) {
      if (r.action?.type === 'remove') removals++;
      if (r.action?.type === 'promote') promotions++;
    }
  }
  // The scenarios must actually exercise the rules, or the test proves nothing.
  assert.ok(removals > 100, `only ${removals} removals`);
  assert.ok(promotions > 100, `only ${promotions} promotions`);
});

test('once faults stop, voters converge to the target and consensus-tagged agents hold them', () => {
  // Liveness: with enough healthy agents, exactly `targetVoters` voters, all up; dead members are
  // removed or reaped; when a tagged agent is a mere replica, every voter but the leader is tagged.
  for (const seed of seeds) {
    const w = run(seed);
    const up = w.agents.filter((a) => a.up).map((a) => a.id);
    const target = w.config.targetVoters;
    const where = `seed ${seed}: voters ${w.voters.join(',')} learners ${w.learners.join(',')}`;
    assert.deepEqual([...w.voters, ...w.learners].sort(), [...up].sort(), `${where}: members`);
    if (up.length >= target) assert.equal(w.voters.length, target, `${where}: count`);
    else assert.deepEqual(w.voters, [...up].sort(), `${where}: all up agents vote`);
    const taggedLearner = w.learners.some((l) => w.agent(l).tags.includes('consensus'));
    if (taggedLearner) {
      const untagged = w.voters.filter((v) => v !== 'n1' && !w.agent(v).tags.includes('consensus'));
      assert.deepEqual(untagged, [], `${where}: untagged voters while a tagged replica waits`);
    }
    const tail = w.trace.slice(-20).filter((r) => r.action !== null);
    assert.deepEqual(tail, [], `${where}: still changing at the end`);
  }
});

test('the same seed gives the same sequence of actions', () => {
  // Determinism: the planner has no hidden clock or randomness.
  for (const seed of seeds.slice(0, 20)) {
    const a = run(seed).trace.map((r) => r.action);
    const b = run(seed).trace.map((r) => r.action);
    assert.deepEqual(a, b);
  }
});
