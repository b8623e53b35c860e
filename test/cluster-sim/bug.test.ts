// The checks can fail: injected bugs are caught within the first 200 seeds, and the printed
// replay command reproduces the violation exactly.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { runScenario, type BugName, type RunResult } from '../../src/cluster-sim/index.ts';
import { ciModes, ciTargets } from './seed-range.ts';

function firstFailure(bug: BugName): RunResult {
  for (let seed = 1; seed <= 200; seed++) {
    const r = runScenario({ seed, bug, modes: ciModes, targets: ciTargets });
    if (r.violation !== null) return r;
  }
  assert.fail(`--bug ${bug} went unnoticed for 200 seeds`);
}

function replay(r: RunResult, bug: BugName): string {
  const args = [
    '--import',
    'tsx',
    'src/cluster-sim/cli.ts',
    '--seed',
    String(r.seed),
    '--bug',
    bug,
    '--modes',
    ciModes.join(','),
    '--voters',
    ciTargets.join(','),
  ];
  const p = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 50_000 });
  assert.equal(p.status, 1, p.stderr);
  return p.stdout;
}

test('lowestIdIgnored (every bootstrapping agent bootstraps) is caught as two clusters', () => {
  const r = firstFailure('lowestIdIgnored');
  assert.match(r.violation ?? '', /two clusters/);
  const out = replay(r, 'lowestIdIgnored');
  assert.ok(out.includes(r.violation ?? '-'), out);
  assert.match(out, /seeds: 1, violations: 1/);
});

test('removeWithoutQuorumCheck is caught as autopilot below quorum', () => {
  const r = firstFailure('removeWithoutQuorumCheck');
  assert.match(r.violation ?? '', /autopilot below quorum/);
  const out = replay(r, 'removeWithoutQuorumCheck');
  assert.ok(out.includes(r.violation ?? '-'), out);
});

test('a seed replays exactly: same trace, same counts', () => {
  const a = runScenario({ seed: 7, trace: true });
  const b = runScenario({ seed: 7, trace: true });
  assert.ok(a.trace.length > 10);
  assert.deepEqual(a.trace, b.trace);
  assert.deepEqual(a.counts, b.counts);
  assert.equal(a.steps, b.steps);
});
