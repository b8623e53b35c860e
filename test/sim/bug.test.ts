// The simulator must catch a known Raft bug: with `commitPreviousTerm` the core commits entries
// of earlier terms by counting replicas (Raft paper, Figure 8), which loses committed entries.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runSeed, type RunResult } from '../../src/sim/run.ts';
import { runCli } from './cli-run.ts';

describe('injected bug: commitPreviousTerm', () => {
  let caught: RunResult | undefined;

  it('is reported as a safety violation within 2,000 seeds', () => {
    for (let seed = 1; seed <= 2000 && caught === undefined; seed++) {
      const r = runSeed({ seed, bug: 'commitPreviousTerm' });
      if (r.violation !== null) caught = r;
    }
    assert.ok(caught !== undefined, 'no violation in 2,000 seeds');
    assert.equal(caught.outcome, 'invariant', caught.violation ?? '');
    assert.match(caught.violation ?? '', /leader completeness|committed entry/);
  });

  it('is the bug: the same seed passes without it', () => {
    assert.ok(caught !== undefined);
    const r = runSeed({ seed: caught.seed, nodes: caught.nodes });
    assert.equal(r.violation, null);
  });

  it('replays through the CLI with the printed, shortest command', () => {
    assert.ok(caught !== undefined);
    assert.ok(caught.shortestReplay !== null);
    const args = [
      '--seed',
      String(caught.seed),
      '--nodes',
      String(caught.nodes),
      '--steps',
      String(caught.shortestReplay),
      '--bug',
      'commitPreviousTerm',
    ];
    const run = runCli(args);
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stdout, /^seeds: 1, violations: 1$/m);
    assert.ok(run.stdout.includes(`npm run sim -- ${args.join(' ')}`), run.stdout);
    assert.ok(run.stdout.includes(caught.violation ?? '?'), run.stdout);
  });
});
