// CPU accounting over the measured window, from /proc: how many cores the cluster members, the
// load client and everything else on the machine used. The machine may be shared (other
// sessions' processes): "everything else" says how much of it was not available to the run.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** Linux USER_HZ: /proc times are in 1/100 s on every mainstream architecture. */
const ticksPerSecond = 100;

export interface CpuSnapshot {
  readonly at: number;
  /** Machine-wide busy and idle time (all CPUs), in ticks. */
  readonly busy: number;
  readonly idle: number;
  /** utime + stime of each watched pid, in ticks. */
  readonly procs: ReadonlyMap<number, number>;
  /** This process (the load client), microseconds. */
  readonly selfUs: number;
}

export interface CpuUse {
  /** Cores used on average over the window. */
  readonly members: number;
  readonly client: number;
  readonly others: number;
  readonly idle: number;
  readonly cores: number;
}

function machineTicks(): { busy: number; idle: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] =
      f;
    return { busy: user + nice + system + irq + softirq + steal, idle: idle + iowait };
  } catch {
    return { busy: 0, idle: 0 };
  }
}

function procTicks(pid: number): number {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ": state is field 0, utime field 11, stime field 12.
    return Number(f[11] ?? 0) + Number(f[12] ?? 0);
  } catch {
    return 0;
  }
}

export function cpuSnapshot(pids: readonly number[]): CpuSnapshot {
  const m = machineTicks();
  const u = process.cpuUsage();
  return {
    at: performance.now(),
    busy: m.busy,
    idle: m.idle,
    procs: new Map(pids.map((p) => [p, procTicks(p)])),
    selfUs: u.user + u.system,
  };
}

export function cpuUse(a: CpuSnapshot, b: CpuSnapshot): CpuUse {
  const seconds = (b.at - a.at) / 1000;
  const cores = (ticks: number): number => ticks / ticksPerSecond / seconds;
  let members = 0;
  for (const [pid, t] of b.procs) members += t - (a.procs.get(pid) ?? t);
  const client = (b.selfUs - a.selfUs) / 1e6 / seconds;
  const busy = cores(b.busy - a.busy);
  return {
    members: cores(members),
    client,
    others: Math.max(0, busy - cores(members) - client),
    idle: cores(b.idle - a.idle),
    cores: cpus().length,
  };
}

export function formatCpu(c: CpuUse): string {
  return `CPU cores used: members ${c.members.toFixed(2)}, client ${c.client.toFixed(2)}, everything else ${c.others.toFixed(2)}, idle ${c.idle.toFixed(2)} (of ${c.cores})`;
}

/**
 * Waits (at most `maxMs`) until processes other than `pids` and this one use less than
 * `thresholdCores` over a `sampleMs` sample; returns the last sample's figure and the wait.
 * A shared machine cannot be made quiet, only waited for: the caller reports what it got.
 */
export async function waitForQuiet(
  pids: () => readonly number[],
  maxMs: number,
  thresholdCores: number,
  sampleMs = 2_000,
): Promise<{ readonly others: number; readonly waitedMs: number }> {
  const start = performance.now();
  for (;;) {
    const a = cpuSnapshot(pids());
    await new Promise((r) => setTimeout(r, sampleMs));
    const use = cpuUse(a, cpuSnapshot(pids()));
    const waitedMs = performance.now() - start;
    if (use.others < thresholdCores || waitedMs >= maxMs) return { others: use.others, waitedMs };
  }
}
