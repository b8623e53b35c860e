// What a seed decides before a cluster-simulation run starts: how many agents, which of them
// carry `--bootstrap N` (and N), their tags, when each starts, --voters, autopilot timings, the
// network and the fault pacing. Every value is drawn unconditionally and in a fixed order, so an
// override (--nodes) leaves the others as the seed chose them and a replay command reproduces
// the run exactly.
import { Prng } from '../sim/prng.ts';
import { defaultBootstrapSettleMs, type AutopilotConfig } from '../cluster/index.ts';

export const bugNames = ['lowestIdIgnored', 'removeWithoutQuorumCheck'] as const;
export type BugName = (typeof bugNames)[number];

export function isBugName(s: string): s is BugName {
  return (bugNames as readonly string[]).includes(s);
}

export const bootstrapModes = ['single', 'single-1', 'all', 'several', 'unsafe'] as const;
/**
 * The layouts src/cluster/bootstrap.ts documents as safe (never two clusters):
 * single: one agent carries --bootstrap N (the seed's way); single-1: one carries --bootstrap 1;
 * all: every agent carries --bootstrap K, K the number of agents (Consul's bootstrap_expect);
 * several: exactly N agents carry --bootstrap N and fewer than N-1 carry nothing.
 * And one that is not: unsafe: 2..K agents carry the same --bootstrap N (3 or K), the rest none;
 * it may make two clusters (or, with fewer than N flagged, none), so it is drawn only when asked
 * for with --modes and never in the default mix or CI.
 */
export type BootstrapMode = (typeof bootstrapModes)[number];
/** The default mix: every documented-safe layout. */
export const safeBootstrapModes: readonly BootstrapMode[] = [
  'single',
  'single-1',
  'all',
  'several',
];
const modeWeights: Record<BootstrapMode, number> = {
  single: 0.4,
  'single-1': 0.15,
  all: 0.15,
  several: 0.3,
  unsafe: 0.25,
};
export const targetChoices = [1, 3, 5] as const;
const targetWeights: Record<number, number> = { 1: 0.15, 3: 0.7, 5: 0.15 };

/** Picks from `allowed` by weight, with one uniform draw `u` in [0, 1). */
function pickWeighted<T extends string | number>(
  u: number,
  allowed: readonly T[],
  weight: (t: T) => number,
): T {
  const total = allowed.reduce((sum, t) => sum + weight(t), 0);
  let r = u * total;
  for (const t of allowed) {
    r -= weight(t);
    if (r < 0) return t;
  }
  const last = allowed[allowed.length - 1];
  if (last === undefined) throw new RangeError('nothing to pick from');
  return last;
}

export interface AgentSpec {
  /** Node id, `n1`... (ids sort like their numbers: at most 9 agents). */
  readonly id: string;
  /** 1-based; also the agent's simulated address 10.0.0.<index>. */
  readonly index: number;
  /** --bootstrap N (0: none). */
  readonly expect: number;
  readonly tags: readonly string[];
  readonly startAtMs: number;
  readonly cpuFreeMilli: number;
  readonly memFreeBytes: number;
}

export interface Scenario {
  readonly seed: number;
  readonly agents: readonly AgentSpec[];
  /** How the --bootstrap flags were handed out (for reports). */
  readonly bootstrapMode: BootstrapMode;
  readonly autopilot: AutopilotConfig;
  /** Raft tick period of a normal (not slow) agent. */
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly network: { readonly minDelay: number; readonly maxDelay: number };
  /** Faults are injected from the first start until this time. */
  readonly faultsUntilMs: number;
  /** Mean gap between two faults. */
  readonly faultGapMs: number;
  /** After healing, liveness must hold within this long. */
  readonly quietMaxMs: number;
  /** BootstrapGate's settle period (the agent's default). */
  readonly bootstrapSettleMs: number;
  /** Gossip reconnect period (the agent's 30 s, scaled to the simulated run's length). */
  readonly reconnectIntervalMs: number;
  readonly bug: BugName | undefined;
}

export interface ScenarioOverrides {
  readonly nodes?: number;
  readonly bug?: BugName;
  /** Bootstrap modes to draw from (default: the safe ones). */
  readonly modes?: readonly BootstrapMode[];
  /** --voters values to draw from (default 1, 3, 5). */
  readonly targets?: readonly number[];
}

export const maxAgents = 9;

export function makeScenario(seed: number, o: ScenarioOverrides = {}): Scenario {
  const rng = new Prng(seed).fork('scenario');
  const drawnNodes = rng.range(3, 7);
  const nodes = o.nodes ?? drawnNodes;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > maxAgents) {
    throw new RangeError(`nodes must be an integer in 1..${maxAgents}, got ${String(nodes)}`);
  }
  const modeDraw = rng.float();
  const expectDraw = rng.float();
  const severalDraw = rng.range(2, maxAgents);
  const targetDraw = rng.float();
  const shortTimings = rng.chance(0.5);
  const faultsUntilMs = rng.range(40_000, 120_000);
  const faultGapMs = rng.range(2_000, 8_000);
  const maxDelay = rng.range(2, 10);
  const order = rng.shuffle(Array.from({ length: nodes }, (_, i) => i));
  const agentDraws = Array.from({ length: maxAgents }, () => ({
    tagged: rng.chance(0.3),
    startAtMs: rng.chance(0.3) ? 0 : rng.range(0, 20_000),
    cpu: rng.range(1, 8) * 1000,
    mem: rng.range(1, 16) * 64 * 2 ** 20,
  }));

  const modes = o.modes ?? safeBootstrapModes;
  const targets = o.targets ?? targetChoices;
  if (modes.length === 0) throw new RangeError('modes: at least one bootstrap mode');
  if (targets.length === 0 || targets.some((t) => !Number.isInteger(t) || t < 1 || t % 2 === 0)) {
    throw new RangeError('targets: odd integers >= 1');
  }
  const mode = nodes < 2 ? 'single' : pickWeighted(modeDraw, modes, (m) => modeWeights[m]);
  // N: usually 3 (the seed's), sometimes every agent; never more agents than exist. In
  // `several`, N > (agents + 1) / 2, so that fewer than N-1 agents lack the flag.
  const severalMinN = Math.min(nodes, Math.floor((nodes + 1) / 2) + 1);
  const n =
    mode === 'all'
      ? nodes
      : mode === 'several'
        ? severalMinN + Math.floor(expectDraw * (nodes - severalMinN + 1))
        : Math.min(nodes, expectDraw < 0.7 ? 3 : nodes);
  const carriers =
    mode === 'unsafe'
      ? Math.min(nodes, severalDraw)
      : mode === 'all'
        ? nodes
        : mode === 'several'
          ? n
          : 1;
  const withFlag = new Set(order.slice(0, carriers));
  const agents: AgentSpec[] = [];
  for (let i = 0; i < nodes; i++) {
    const d = agentDraws[i];
    if (d === undefined) throw new Error('unreachable: agent draws');
    agents.push({
      id: `n${i + 1}`,
      index: i + 1,
      expect: withFlag.has(i) ? (mode === 'single-1' ? 1 : n) : 0,
      tags: d.tagged ? ['consensus'] : [],
      startAtMs: d.startAtMs,
      cpuFreeMilli: d.cpu,
      memFreeBytes: d.mem,
    });
  }
  const targetVoters = pickWeighted(targetDraw, targets, (t) => targetWeights[t] ?? 0.1);
  return {
    seed,
    agents,
    bootstrapMode: mode,
    autopilot: {
      targetVoters,
      stabilizationMs: shortTimings ? 2_000 : 10_000,
      maxTrailingLogs: 250,
      failedGraceMs: shortTimings ? 2_000 : 5_000,
      reapMs: shortTimings ? 15_000 : 60_000,
    },
    tickMs: 100,
    electionTicks: 10,
    network: { minDelay: 1, maxDelay },
    faultsUntilMs,
    faultGapMs,
    quietMaxMs: 180_000,
    bootstrapSettleMs: defaultBootstrapSettleMs,
    reconnectIntervalMs: 10_000,
    bug: o.bug,
  };
}

/** One line describing a scenario (replays print it first). */
export function describeScenario(s: Scenario): string {
  const flags = s.agents
    .map(
      (a) =>
        `${a.id}${a.expect > 0 ? `[bootstrap ${a.expect}]` : ''}${a.tags.length > 0 ? '[consensus]' : ''}@${a.startAtMs}`,
    )
    .join(' ');
  const ap = s.autopilot;
  return (
    `seed ${s.seed}: ${s.agents.length} agents (${s.bootstrapMode}) ${flags}; voters ${ap.targetVoters}, ` +
    `stabilization ${ap.stabilizationMs}ms, grace ${ap.failedGraceMs}ms, reap ${ap.reapMs}ms; ` +
    `faults until ${s.faultsUntilMs}ms every ~${s.faultGapMs}ms` +
    (s.bug === undefined ? '' : `; bug ${s.bug}`)
  );
}
