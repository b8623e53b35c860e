// npm run sim -- --seeds N [--start S0] [--nodes K] [--steps M] [--bug NAME] [--profile P]
// npm run sim -- --seed S [--nodes K] [--steps M] [--bug NAME] [--profile P] [--trace]
//
// Runs simulation seeds and prints one summary line, `seeds: N, violations: V`, followed by the
// command that replays each failing seed. Exit status: 0 all passed, 1 violations, 2 bad usage.
import { parseArgs, replayCommand, usage, UsageError, type CliOptions } from './cli-args.ts';
import { runSeed, type RunResult } from './run.ts';

function counts(c: Readonly<Record<string, number>>): string {
  return Object.entries(c)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

function describe(r: RunResult): string {
  return [
    `seed ${r.seed}: ${r.nodes} nodes, profile ${r.profile}, ${r.steps} steps, ${r.virtualMs}ms virtual`,
    `  outcome: ${r.outcome}, lincheck: ${r.lincheck}`,
    `  ops: ${counts(r.ops)}`,
    `  faults: ${counts(r.faults)}`,
    `  coverage: ${counts(r.coverage)}`,
  ].join('\n');
}

function main(argv: readonly string[]): number {
  let o: CliOptions;
  try {
    o = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`sim: ${err.message}\n${usage}`);
    return 2;
  }
  const failed: RunResult[] = [];
  const undecided: number[] = [];
  const began = performance.now();
  const every = Math.max(100, 10 ** (Math.floor(Math.log10(o.seeds)) - 1));
  for (let i = 0; i < o.seeds; i++) {
    const r = runSeed({
      seed: o.start + i,
      ...(o.nodes === undefined ? {} : { nodes: o.nodes }),
      ...(o.steps === undefined ? {} : { steps: o.steps }),
      ...(o.bug === undefined ? {} : { bug: o.bug }),
      ...(o.profile === undefined ? {} : { profile: o.profile }),
      trace: o.trace,
    });
    if (o.replay) {
      for (const line of r.trace) console.log(line);
      console.log(describe(r));
      if (r.violation !== null) console.log(r.violation);
    } else if (r.violation !== null) {
      console.log(
        `seed ${r.seed} (${r.nodes} nodes, ${r.profile}): ${r.violation.split('\n')[0] ?? ''}`,
      );
    }
    if (r.violation !== null) failed.push(r);
    if (r.lincheck === 'unknown') undecided.push(r.seed);
    if (!o.replay && (i + 1) % every === 0 && i + 1 < o.seeds) {
      const secs = ((performance.now() - began) / 1000).toFixed(1);
      console.log(`... ${i + 1}/${o.seeds} seeds, ${failed.length} violations, ${secs}s`);
    }
  }
  if (undecided.length > 0) {
    console.log(`linearizability undecided (search budget) for seeds: ${undecided.join(' ')}`);
  }
  console.log(`seeds: ${o.seeds}, violations: ${failed.length}`);
  for (const r of failed) console.log(replayCommand(r, o));
  return failed.length > 0 ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
