// One seeded simulation run: build a cluster, clients and a nemesis from the seed, run the fault
// phase for a bounded number of steps, heal everything, check liveness (a leader appears, a
// final write commits, every member catches up), and check the client history for
// linearizability. Everything is a pure function of the options: the same seed replays exactly.
import { checkHistory, formatResult } from '../lincheck/index.ts';
import { Clients } from './clients.ts';
import { Cluster } from './cluster.ts';
import { Nemesis } from './nemesis.ts';
import { formatEvent, History } from './history.ts';
import { InvariantViolation } from './invariants.ts';
import { checkLiveness } from './liveness.ts';
import { Prng } from './prng.ts';
import { defaultSteps, makeSetup, type BugName } from './setup.ts';

export interface RunOptions {
  readonly seed: number;
  /** Initial voters; by default 3, 5 or 7 picked from the seed. */
  readonly nodes?: number;
  /** Steps (delivered messages and timer events) in the fault phase. */
  readonly steps?: number;
  readonly bug?: BugName;
  readonly trace?: boolean;
  /** Fault profile name (see profiles.ts); by default picked from the seed. */
  readonly profile?: string;
}

export type RunOutcome = 'ok' | 'invariant' | 'liveness' | 'linearizability' | 'error';

export interface RunResult {
  readonly seed: number;
  readonly nodes: number;
  readonly profile: string;
  /** Steps taken in all (fault phase and healing). */
  readonly steps: number;
  readonly virtualMs: number;
  readonly outcome: RunOutcome;
  /** Null when every check passed. */
  readonly violation: string | null;
  /**
   * For a violation during the fault phase: the step it happened at, which is also the
   * smallest --steps that replays it.
   */
  readonly shortestReplay: number | null;
  readonly lincheck: 'ok' | 'unknown' | 'fail' | 'skipped';
  readonly ops: Readonly<Record<string, number>>;
  /** Faults injected, by kind. */
  readonly faults: Readonly<Record<string, number>>;
  /** What happened, by kind (message types, snapshots, membership changes, ...). */
  readonly coverage: Readonly<Record<string, number>>;
  /** The event trace, when asked for. */
  readonly trace: readonly string[];
}

export function runSeed(options: RunOptions): RunResult {
  const setup = makeSetup(options.seed, options);
  const rng = new Prng(options.seed);
  const steps = options.steps ?? defaultSteps;
  const cluster = new Cluster(setup.cluster, rng.fork('cluster'));
  const history = new History();
  const clients = new Clients(cluster, history, rng.fork('clients'), setup.clients);
  const nemesis = new Nemesis(cluster, rng.fork('nemesis'), setup.profile, setup.nemesis);

  let outcome: RunOutcome = 'ok';
  let violation: string | null = null;
  let lincheck: RunResult['lincheck'] = 'skipped';
  let shortestReplay: number | null = null;
  try {
    clients.start();
    nemesis.start(setup.nemesisStart);
    while (cluster.steps < steps && cluster.stepOnce());
    nemesis.healAll();
    const stuck = checkLiveness(cluster, clients, {
      commitWithinMs: 6000,
      catchUpWithinMs: 3000,
      clientsRunMs: 300,
      probeProcess: 1_000_000_000,
    });
    if (stuck !== null) {
      outcome = 'liveness';
      violation = `liveness (seed ${options.seed}, t=${cluster.now}ms): ${stuck}`;
    } else {
      cluster.checker.checkAcked(history.ackedMutations().keys());
      const result = checkHistory(history.events);
      if (result.ok === true) lincheck = 'ok';
      else if (result.ok === 'unknown') lincheck = 'unknown';
      else {
        lincheck = 'fail';
        outcome = 'linearizability';
        violation = `not linearizable (seed ${options.seed}):\n${formatResult(result)}`;
      }
    }
  } catch (err) {
    // The run up to this step does not depend on the step budget: --steps <this> replays it.
    if (cluster.steps <= steps) shortestReplay = cluster.steps;
    if (err instanceof InvariantViolation) {
      outcome = 'invariant';
      violation = err.message;
    } else {
      outcome = 'error';
      const what = err instanceof Error ? (err.stack ?? err.message) : String(err);
      violation = `error (seed ${options.seed}, step ${cluster.steps}, t=${cluster.now}ms): ${what}`;
    }
  }
  const net = cluster.network.stats;
  return {
    seed: options.seed,
    nodes: setup.nodes,
    profile: setup.profileName,
    steps: cluster.steps,
    virtualMs: cluster.now,
    outcome,
    violation,
    shortestReplay,
    lincheck,
    ops: { ...clients.stats },
    faults: { ...nemesis.counts },
    coverage: {
      ...cluster.coverage,
      'net:lost': net.lost,
      'net:duplicated': net.duplicated,
      'net:cut': net.cut,
      'net:overflow': net.overflow,
    },
    trace:
      options.trace === true
        ? [...cluster.traceLines, ...history.events.map((e) => `history ${formatEvent(e)}`)]
        : [],
  };
}
