// One seeded cluster-simulation run: agents start at their drawn times, the nemesis strikes
// until the fault phase ends, everything heals, and within a bounded quiet period the cluster
// must settle (liveness.ts). Safety is checked at every step (checks.ts and src/sim's Raft
// invariants); the first violation ends the run. A pure function of the options.
import { RaftInvariantError } from '../raft/index.ts';
import { InvariantViolation } from '../sim/invariants.ts';
import { Prng } from '../sim/prng.ts';
import { livenessProblem } from './liveness.ts';
import { Nemesis } from './nemesis.ts';
import { makeScenario, type BootstrapMode, type BugName, type Scenario } from './scenario.ts';
import { World } from './world.ts';

export interface RunOptions {
  readonly seed: number;
  /** Agents; by default 3..7 drawn from the seed. */
  readonly nodes?: number;
  readonly bug?: BugName;
  /** Bootstrap modes and --voters values to draw from (default: all). */
  readonly modes?: readonly BootstrapMode[];
  readonly targets?: readonly number[];
  readonly trace?: boolean;
}

export type RunOutcome = 'ok' | 'invariant' | 'liveness' | 'error';

export interface RunResult {
  readonly seed: number;
  readonly scenario: Scenario;
  readonly outcome: RunOutcome;
  /** Null when every check passed. */
  readonly violation: string | null;
  readonly steps: number;
  readonly virtualMs: number;
  /** Bootstraps written, voter changes checked, faults and autopilot actions by kind. */
  readonly counts: Readonly<Record<string, number>>;
  readonly trace: readonly string[];
}

/** Liveness must hold at this many consecutive checks, one a second. */
const settledChecks = 3;
const checkEveryMs = 1_000;

export function runScenario(o: RunOptions): RunResult {
  const scenario = makeScenario(o.seed, {
    ...(o.nodes === undefined ? {} : { nodes: o.nodes }),
    ...(o.bug === undefined ? {} : { bug: o.bug }),
    ...(o.modes === undefined ? {} : { modes: o.modes }),
    ...(o.targets === undefined ? {} : { targets: o.targets }),
  });
  const rng = new Prng(o.seed);
  const w = new World(scenario, rng.fork('world'), o.trace === true);
  const nemesis = new Nemesis(w, rng.fork('nemesis'));
  let outcome: RunOutcome = 'ok';
  let violation: string | null = null;
  try {
    for (const a of w.agents) w.sched.at(a.spec.startAtMs, `start ${a.id}`, () => w.start(a));
    nemesis.start();
    w.runUntil(scenario.faultsUntilMs);
    nemesis.healAll();
    const problem = settle(w, scenario.quietMaxMs);
    if (problem !== null) {
      outcome = 'liveness';
      violation =
        `liveness (seed ${o.seed}, t=${w.now}ms): not settled ${scenario.quietMaxMs}ms after ` +
        `healing: ${problem}`;
    }
  } catch (err) {
    if (err instanceof InvariantViolation) {
      outcome = 'invariant';
      violation = err.message;
    } else if (err instanceof RaftInvariantError) {
      outcome = 'invariant';
      violation = `raft core assertion (seed ${o.seed}, step ${w.steps}, t=${w.now}ms): ${err.message}`;
    } else {
      outcome = 'error';
      violation = `error (seed ${o.seed}, step ${w.steps}, t=${w.now}ms): ${String(err instanceof Error ? err.stack : err)}`;
    }
  }
  w.count(`bootstraps=${w.checks.bootstraps.length}`);
  w.counts['voterChanges'] = w.checks.changes.length;
  return {
    seed: o.seed,
    scenario,
    outcome,
    violation,
    steps: w.steps,
    virtualMs: w.now,
    counts: w.counts,
    trace: w.traceLines,
  };
}

/** Runs the quiet period; null once liveness held `settledChecks` times in a row. */
function settle(w: World, quietMaxMs: number): string | null {
  const deadline = w.now + quietMaxMs;
  let inARow = 0;
  let last: string | null = 'never checked';
  while (w.now < deadline) {
    w.runUntil(w.now + checkEveryMs);
    last = livenessProblem(w);
    inARow = last === null ? inARow + 1 : 0;
    if (inARow >= settledChecks) return null;
  }
  return last;
}
