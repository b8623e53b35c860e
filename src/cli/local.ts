// `sappers local` (what `npm start` runs): a real local cluster. It starts node1..N as agent
// processes with the seed's commands (node1 --bootstrap 3), waits until they elected a leader
// and hold the voters, proves a write through one node reads back through another, prints how
// to use the cluster, and keeps it running until SIGINT/SIGTERM, then stops the agents.
import type { Command } from 'commander';
import { readAgentFile } from '../agent/agent-file.ts';
import { OptionError } from '../agent/options.ts';
import { describeExit, LocalAgent } from './local-agent.ts';
import {
  checkWriteRead,
  ClusterTimeoutError,
  getClusterStatus,
  votersOf,
  waitForCluster,
} from './local-check.ts';
import {
  commandLine,
  expectedVoters,
  nodeAt,
  parseLocalFlags,
  planNode,
  planNodes,
  type LocalFlags,
  type LocalOptions,
  type NodePlan,
} from './local-plan.ts';
import { findBusyPort } from './local-ports.ts';
import { formatSummary, launcherFor } from './local-summary.ts';

/** Bootstrap needs gossip to see every agent, 2 s of settling, then an election. */
const readyTimeoutMs = 60_000;
const checkTimeoutMs = 15_000;
/** An agent bounds its own graceful stop at 15 s. */
const termWaitMs = 20_000;
const checkKey = 'sappers-local/check';
const repeatQuietMs = 1_000;

const say = (line: string): void => console.log(line);
const fail = (line: string): void => console.error(`sappers local: ${line}`);

/** Resolves with the first stop signal; later ones only say that the stop is under way. */
function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let firstAtMs: number | null = null;
    const on = (signal: NodeJS.Signals): void => {
      if (firstAtMs === null) {
        firstAtMs = Date.now();
        resolve(signal);
        return;
      }
      // One Ctrl-C can arrive twice (from the terminal and relayed by tsx or npm): stay quiet.
      if (Date.now() - firstAtMs > repeatQuietMs) {
        say(`(${signal}: already stopping the agents, up to ${termWaitMs / 1000} s each)`);
      }
    };
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, on);
  });
}

/** Replicas first (they leave the configuration), then the voters, which stop in place. */
async function stopAll(agents: readonly LocalAgent[], voters: readonly string[]): Promise<void> {
  const running = agents.filter((a) => a.running);
  if (running.length === 0) return;
  say(`Stopping ${running.map((a) => a.plan.id).join(', ')} ...`);
  const replicas = running.filter((a) => !voters.includes(a.plan.id));
  const rest = running.filter((a) => voters.includes(a.plan.id));
  for (const group of [replicas, rest]) {
    const killed = await Promise.all(group.map((a) => a.stop(termWaitMs)));
    group.forEach((a, i) => {
      if (killed[i] === true)
        fail(`${a.plan.id} did not stop within ${termWaitMs / 1000} s: SIGKILLed`);
    });
  }
  say('All agents stopped.');
}

/** Null while every agent runs; otherwise which one died, how, and its last output. */
function firstDeath(agents: readonly LocalAgent[]): string | null {
  const dead = agents.find((a) => !a.running);
  if (dead === undefined) return null;
  const tail = dead.outputTail();
  return (
    `${dead.plan.id} exited during start-up (${describeExit(dead.exitInfo)}); ` +
    `its output (${dead.plan.outFile}):\n${tail === '' ? '(empty)' : tail}`
  );
}

function watchUnexpectedExits(agents: readonly LocalAgent[], cwd: string): void {
  const launcher = launcherFor(cwd);
  for (const a of agents) {
    void a.exited.then((e) => {
      if (a.stopRequested) return;
      fail(
        `${a.plan.id} (pid ${a.pid}) exited unexpectedly (${describeExit(e)}); the others keep ` +
          `running. Its output: ${a.plan.outFile}\nRestart it with:\n  ${commandLine(launcher, a.plan)}`,
      );
    });
  }
}

async function runChecked(
  o: LocalOptions,
  agents: readonly LocalAgent[],
  cwd: string,
): Promise<{ voters: string[] }> {
  const plans = agents.map((a) => a.plan);
  const voters = expectedVoters(o);
  say(`Waiting (up to ${readyTimeoutMs / 1000} s) for a leader and ${voters} voter(s) ...`);
  const ready = await waitForCluster(plans, voters, readyTimeoutMs, () => firstDeath(agents));
  const writer = nodeAt(plans, 1);
  const reader = nodeAt(plans, plans.length - 1);
  const value = `written through ${writer.id} at ${new Date().toISOString()}`;
  await checkWriteRead(checkKey, value, writer.httpPort, reader.httpPort, checkTimeoutMs);
  // The status after the write, so the commit index includes it.
  const leaderPlan = plans.find((p) => p.id === ready.leader) ?? writer;
  const status = await getClusterStatus(leaderPlan.httpPort).catch(() => ready.status);
  const voterIds = votersOf(status);
  say(
    formatSummary({
      leader: ready.leader,
      voters: voterIds,
      status,
      agents: agents.map((a) => ({ plan: a.plan, pid: a.pid })),
      next: planNode(o, o.nodes, cwd),
      check: { key: checkKey, writer, reader },
      dataRootArg: o.dataRoot,
      exitAfterCheck: o.exitAfterCheck,
      cwd,
    }),
  );
  return { voters: voterIds };
}

/** Why the planned agents cannot start here, or null. Changes nothing. */
async function preflight(plans: readonly NodePlan[]): Promise<string | null> {
  const busy = await findBusyPort(plans);
  if (busy !== null) {
    return (
      `port ${busy.port} (${busy.use} port of ${busy.node}) is already in use (${busy.code}); ` +
      'stop what listens there, or move every port with --port-offset K'
    );
  }
  for (const p of plans) {
    const owner = readAgentFile(p.dataDir);
    if (owner !== null) {
      return `${p.dataDirArg} (${p.id}) is in use by a running agent (pid ${owner.pid}); stop it first`;
    }
  }
  return null;
}

/** Spawns every planned agent; on a failure, the ones already started are returned to stop. */
function startAgents(plans: readonly NodePlan[], cwd: string, agents: LocalAgent[]): string | null {
  const launcher = launcherFor(cwd);
  for (const p of plans) {
    let a: LocalAgent;
    try {
      a = LocalAgent.start(p, cwd);
    } catch (err) {
      return `cannot start ${p.id} in ${p.dataDirArg}: ${err instanceof Error ? err.message : String(err)}`;
    }
    agents.push(a);
    say(`Started ${p.id} (pid ${a.pid}): ${commandLine(launcher, p)}`);
  }
  say(`Agent output goes to DATA_DIR/agent.out (e.g. ${plans[0]?.outFile ?? ''}).`);
  return null;
}

function reportFailure(o: LocalOptions, err: unknown): void {
  fail(err instanceof Error ? err.message : String(err));
  if (err instanceof ClusterTimeoutError) {
    fail(
      `the agents' output is in DATA_DIR/agent.out; if ${o.dataRoot} holds a cluster made ` +
        'with other --nodes or --port-offset, use another --data-root (or remove it)',
    );
  }
}

/** Exit code: 0 ran and stopped on request, 1 the cluster could not start, 2 bad arguments. */
export async function runLocal(flags: LocalFlags): Promise<number> {
  let o: LocalOptions;
  try {
    o = parseLocalFlags(flags);
  } catch (err) {
    if (!(err instanceof OptionError)) throw err;
    fail(err.message);
    return 2;
  }
  const cwd = process.cwd();
  const plans = planNodes(o, cwd);
  const refused = await preflight(plans);
  if (refused !== null) {
    fail(refused);
    return 1;
  }
  const stop = stopSignal();
  const agents: LocalAgent[] = [];
  // If this process dies on an error, it must not leave agents nobody will stop.
  process.on('exit', () => agents.forEach((a) => a.killNow()));
  const startError = startAgents(plans, cwd, agents);
  const outcome =
    startError !== null
      ? { kind: 'failed' as const, err: new Error(startError) }
      : await Promise.race([
          runChecked(o, agents, cwd).then(
            (r) => ({ kind: 'ready' as const, voters: r.voters }),
            (err: unknown) => ({ kind: 'failed' as const, err }),
          ),
          stop.then((signal) => ({ kind: 'signal' as const, signal })),
        ]);
  if (outcome.kind !== 'ready') {
    if (outcome.kind === 'failed') reportFailure(o, outcome.err);
    else say(`${outcome.signal} before the cluster was ready.`);
    await stopAll(agents, []);
    return outcome.kind === 'failed' ? 1 : 0;
  }
  if (!o.exitAfterCheck) {
    watchUnexpectedExits(agents, cwd);
    say(`\n${await stop}: stopping.`);
  }
  await stopAll(agents, outcome.voters);
  return 0;
}

export function registerLocalCommand(program: Command): void {
  program
    .command('local')
    .description(
      "run a real local cluster: node1..N as agent processes with the original README's " +
        'commands (node1 --bootstrap 3), checked, until Ctrl-C',
    )
    .option('--nodes <n>', 'agents to run (1-7)', '3')
    .option('--port-offset <k>', 'add k to every port (7946+, 12000+, 11000+)', '0')
    .option('--data-root <dir>', 'parent of the DATA_DIRs node1..N', './raft')
    .option('--exit-after-check', 'print the summary, stop the agents and exit 0')
    .option('--log-level <level>', "the agents' DEBUG, INFO, WARN or ERROR", 'INFO')
    .action(async (opts: LocalFlags) => {
      const code = await runLocal(opts).catch((err: unknown) => {
        fail(err instanceof Error ? (err.stack ?? err.message) : String(err));
        return 1;
      });
      process.exit(code);
    });
}
