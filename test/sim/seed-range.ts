// Shared by the seeds-*.test.ts files: runs a range of seeds, fails with the replay command of
// every violating seed, and checks that the range exercised what the simulator is meant to.
import assert from 'node:assert/strict';
import { faultKinds } from '../../src/sim/profiles.ts';
import { runSeed, type RunResult } from '../../src/sim/run.ts';

export interface RangeSummary {
  readonly seeds: number;
  readonly failures: readonly RunResult[];
  readonly coverage: Readonly<Record<string, number>>;
  readonly faults: Readonly<Record<string, number>>;
  readonly lincheckOk: number;
  readonly cpuMsPerSeed: number;
}

function add(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

export function runRange(start: number, count: number): RangeSummary {
  const failures: RunResult[] = [];
  const coverage: Record<string, number> = {};
  const faults: Record<string, number> = {};
  let lincheckOk = 0;
  const cpu = process.cpuUsage();
  for (let seed = start; seed < start + count; seed++) {
    const r = runSeed({ seed });
    if (r.violation !== null) failures.push(r);
    if (r.lincheck === 'ok') lincheckOk++;
    add(coverage, r.coverage);
    add(faults, r.faults);
  }
  const used = process.cpuUsage(cpu);
  return {
    seeds: count,
    failures,
    coverage,
    faults,
    lincheckOk,
    cpuMsPerSeed: (used.user + used.system) / 1000 / count,
  };
}

export function assertNoViolations(s: RangeSummary): void {
  const report = s.failures
    .map(
      (r) => `${r.violation ?? ''}\n  replay: npm run sim -- --seed ${r.seed} --nodes ${r.nodes}`,
    )
    .join('\n');
  assert.equal(s.failures.length, 0, `violations:\n${report}`);
}

/** The range injected every kind of fault and hit the code paths the faults are meant to. */
export function assertCoverage(s: RangeSummary): void {
  for (const kind of [...faultKinds, 'newLeader', 'commitCrash']) {
    assert.ok((s.faults[kind] ?? 0) > 0, `fault ${kind} never injected`);
  }
  const expected = [
    'conf:addLearner',
    'conf:promote',
    'conf:remove',
    'removeLeaderProposed',
    'snapshotTaken',
    'snapshotInstalled',
    'snapLaterChunk',
    'timeoutNow',
    'readServed',
    'readIndexResp',
    'powerLoss',
    'restart',
    'client:NOT_LEADER',
    'net:lost',
    'net:duplicated',
    'net:cut',
    'net:overflow',
    // Slow disks: writes under way while messages arrive, leaders applying early and
    // pipelining writes (several under way at once, completing in order), and crashes that
    // lose the writes in flight.
    'slowWrite',
    'queuedWrite',
    'earlyReady',
    'earlyWrite',
    'earlyApply',
    'writeLost',
    // Cores that keep only recent entries in memory read older ones back from the disk.
    'logReadFromDisk',
  ];
  for (const what of expected) assert.ok((s.coverage[what] ?? 0) > 0, `never happened: ${what}`);
  // A history the checker cannot decide is not a failure, but it must stay rare.
  assert.ok(
    s.lincheckOk >= 0.95 * s.seeds,
    `linearizability decided for only ${s.lincheckOk}/${s.seeds}`,
  );
}
