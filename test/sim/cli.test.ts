import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArgs, UsageError } from '../../src/sim/cli-args.ts';
import { runCli } from './cli-run.ts';

function usageError(argv: string[], pattern: RegExp): void {
  assert.throws(
    () => parseArgs(argv),
    (err: unknown) => err instanceof UsageError && pattern.test(err.message),
  );
}

describe('sim CLI arguments', () => {
  it('parses the documented flags', () => {
    assert.deepEqual(parseArgs(['--seeds', '20', '--start=5', '--nodes', '5', '--steps', '100']), {
      seeds: 20,
      start: 5,
      replay: false,
      nodes: 5,
      steps: 100,
      bug: undefined,
      profile: undefined,
      trace: false,
    });
    const replay = parseArgs([
      '--seed',
      '9',
      '--bug',
      'commitPreviousTerm',
      '--trace',
      '--profile',
      'figure8',
    ]);
    assert.equal(replay.replay, true);
    assert.equal(replay.seeds, 1);
    assert.equal(replay.start, 9);
    assert.equal(replay.bug, 'commitPreviousTerm');
    assert.equal(replay.profile, 'figure8');
    assert.equal(replay.trace, true);
    assert.equal(parseArgs([]).seeds, 100);
  });

  it('names the offending flag', () => {
    usageError(['--seeds', 'x'], /^--seeds: expected an integer/);
    usageError(['--seeds', '0'], /^--seeds: must be between/);
    usageError(['--nodes', '12'], /^--nodes: must be between 1 and 9/);
    usageError(['--steps'], /^--steps: missing value/);
    usageError(['--bug', 'nope'], /^--bug: unknown bug "nope"/);
    usageError(['--profile', 'nope'], /^--profile: unknown profile/);
    usageError(['--seed', '1', '--seeds', '2'], /^--seed: .*cannot be combined/);
    usageError(['--trace'], /^--trace: only with --seed/);
    usageError(['--seeds', '1', '--seeds', '2'], /^--seeds: given twice/);
    usageError(['--frobnicate'], /unknown argument "--frobnicate"/);
  });
});

describe('sim CLI', () => {
  it('exits 2 with a message naming the flag on bad arguments', () => {
    const r = runCli(['--seeds', 'many']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--seeds: expected an integer, got "many"/);
  });

  it('runs seeds and ends with one summary line', () => {
    const r = runCli(['--seeds', '3', '--start', '40']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.at(-1), 'seeds: 3, violations: 0');
    assert.equal(lines.filter((l) => l.startsWith('seeds:')).length, 1);
  });

  it('replays one seed with identical output every time', () => {
    const a = runCli(['--seed', '12', '--trace']);
    const b = runCli(['--seed', '12', '--trace']);
    assert.equal(a.status, 0, a.stdout + a.stderr);
    assert.equal(a.stdout, b.stdout);
    assert.match(a.stdout, /^seed 12: \d nodes, profile \w+/m);
    assert.ok(a.stdout.split('\n').length > 1000);
    assert.equal(a.stdout.trim().split('\n').at(-1), 'seeds: 1, violations: 0');
  });
});
