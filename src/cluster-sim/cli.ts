// npm run sim:cluster -- --seeds N [--start S0] [--nodes K] [--bug NAME] [--modes ...] [--voters ...]
// npm run sim:cluster -- --seed S [--nodes K] [--bug NAME] [--modes ...] [--voters ...] [--trace]
//
// Runs seeded cluster simulations (gossip + Raft + bootstrap + autopilot under faults) and prints
// `seeds: N, violations: V`, then for each failing seed the command that replays it (add --trace
// to see its events). Exit status: 0 all passed, 1 violations, 2 bad usage.
import { parseArgs, replayCommand, usage } from './cli-args.ts';
import { formatCounts, parseOrUsage, runSeeds } from '../sim/cli-common.ts';
import { runScenario, type RunResult } from './run.ts';
import { describeScenario } from './scenario.ts';

function summary(r: RunResult): string {
  return `  outcome: ${r.outcome}, ${r.steps} steps, ${r.virtualMs}ms virtual\n  counts: ${formatCounts(r.counts)}`;
}

function main(argv: readonly string[]): number {
  const parsed = parseOrUsage('sim:cluster', usage, () => parseArgs(argv));
  if (!('options' in parsed)) return parsed.exitCode;
  const o = parsed.options;
  return runSeeds<RunResult>({
    range: o,
    progressEvery: 500,
    run: (seed) =>
      runScenario({
        seed,
        trace: o.trace,
        ...(o.nodes === undefined ? {} : { nodes: o.nodes }),
        ...(o.bug === undefined ? {} : { bug: o.bug }),
        ...(o.modes === undefined ? {} : { modes: o.modes }),
        ...(o.voters === undefined ? {} : { targets: o.voters }),
      }),
    violation: (r) => r.violation,
    replayLines: (r) => [describeScenario(r.scenario), ...r.trace, summary(r)],
    label: (r) => `${r.scenario.agents.length} agents, ${r.scenario.bootstrapMode}`,
    replayCommand: (seed) => replayCommand(seed, o),
  });
}

process.exitCode = main(process.argv.slice(2));
