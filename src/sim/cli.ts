// npm run sim -- --seeds N [--start S0] [--nodes K] [--steps M] [--bug NAME] [--profile P]
// npm run sim -- --seed S [--nodes K] [--steps M] [--bug NAME] [--profile P] [--trace]
//
// Runs simulation seeds and prints one summary line, `seeds: N, violations: V`, followed by the
// command that replays each failing seed. Exit status: 0 all passed, 1 violations, 2 bad usage.
import { parseArgs, replayCommand, usage } from './cli-args.ts';
import { formatCounts, parseOrUsage, runSeeds } from './cli-common.ts';
import { runSeed, type RunResult } from './run.ts';

function describe(r: RunResult): string {
  return [
    `seed ${r.seed}: ${r.nodes} nodes, profile ${r.profile}, ${r.steps} steps, ${r.virtualMs}ms virtual`,
    `  outcome: ${r.outcome}, lincheck: ${r.lincheck}`,
    `  ops: ${formatCounts(r.ops)}`,
    `  faults: ${formatCounts(r.faults)}`,
    `  coverage: ${formatCounts(r.coverage)}`,
  ].join('\n');
}

function main(argv: readonly string[]): number {
  const parsed = parseOrUsage('sim', usage, () => parseArgs(argv));
  if (!('options' in parsed)) return parsed.exitCode;
  const o = parsed.options;
  const undecided: number[] = [];
  return runSeeds<RunResult>({
    range: o,
    progressEvery: Math.max(100, 10 ** (Math.floor(Math.log10(o.seeds)) - 1)),
    run: (seed) =>
      runSeed({
        seed,
        ...(o.nodes === undefined ? {} : { nodes: o.nodes }),
        ...(o.steps === undefined ? {} : { steps: o.steps }),
        ...(o.bug === undefined ? {} : { bug: o.bug }),
        ...(o.profile === undefined ? {} : { profile: o.profile }),
        trace: o.trace,
      }),
    violation: (r) => r.violation,
    replayLines: (r) => [...r.trace, describe(r)],
    label: (r) => `${r.nodes} nodes, ${r.profile}`,
    replayCommand: (_seed, r) => replayCommand(r, o),
    onResult: (seed, r) => {
      if (r.lincheck === 'unknown') undecided.push(seed);
    },
    notes: () =>
      undecided.length === 0
        ? []
        : [`linearizability undecided (search budget) for seeds: ${undecided.join(' ')}`],
  });
}

process.exitCode = main(process.argv.slice(2));
