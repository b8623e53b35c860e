// npm run sim:cluster -- --seeds N [--start S0] [--nodes K] [--bug NAME] [--modes ...] [--voters ...]
// npm run sim:cluster -- --seed S [--nodes K] [--bug NAME] [--modes ...] [--voters ...] [--trace]
//
// Runs seeded cluster simulations (gossip + Raft + bootstrap + autopilot under faults) and prints
// `seeds: N, violations: V`, then for each failing seed the command that replays it (add --trace
// to see its events). Exit status: 0 all passed, 1 violations, 2 bad usage.
import { parseArgs, replayCommand, usage, UsageError, type CliOptions } from './cli-args.ts';
import { runScenario, type RunResult } from './run.ts';
import { describeScenario } from './scenario.ts';

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function summary(r: RunResult): string {
  const counts = Object.entries(r.counts)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return `  outcome: ${r.outcome}, ${r.steps} steps, ${r.virtualMs}ms virtual\n  counts: ${counts}`;
}

function main(argv: readonly string[]): number {
  let o: CliOptions;
  try {
    o = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`sim:cluster: ${err.message}\n${usage}\n`);
    return 2;
  }
  const failed: number[] = [];
  const began = performance.now();
  for (let i = 0; i < o.seeds; i++) {
    const seed = o.start + i;
    const r = runScenario({
      seed,
      trace: o.trace,
      ...(o.nodes === undefined ? {} : { nodes: o.nodes }),
      ...(o.bug === undefined ? {} : { bug: o.bug }),
      ...(o.modes === undefined ? {} : { modes: o.modes }),
      ...(o.voters === undefined ? {} : { targets: o.voters }),
    });
    if (o.replay) {
      out(describeScenario(r.scenario));
      for (const line of r.trace) out(line);
      out(summary(r));
      if (r.violation !== null) out(r.violation);
    } else if (r.violation !== null) {
      out(
        `seed ${seed} (${r.scenario.agents.length} agents, ${r.scenario.bootstrapMode}): ${r.violation.split('\n')[0] ?? ''}`,
      );
    }
    if (r.violation !== null) failed.push(seed);
    if (!o.replay && (i + 1) % 500 === 0 && i + 1 < o.seeds) {
      const secs = ((performance.now() - began) / 1000).toFixed(1);
      out(`... ${i + 1}/${o.seeds} seeds, ${failed.length} violations, ${secs}s`);
    }
  }
  out(`seeds: ${o.seeds}, violations: ${failed.length}`);
  for (const seed of failed) out(replayCommand(seed, o));
  return failed.length > 0 ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
