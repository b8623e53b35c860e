// What `sappers local` prints once its cluster works: the leader, the `sappers status` tables,
// where each agent runs and logs, and commands to copy-paste.
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandLine, nodeAt, type NodePlan } from './local-plan.ts';
import { formatStatus, table, type ClusterStatusJson } from './status.ts';

export interface SummaryInput {
  readonly leader: string;
  readonly voters: readonly string[];
  readonly status: ClusterStatusJson;
  readonly agents: readonly { readonly plan: NodePlan; readonly pid: number }[];
  /** The node step 8 would add next (not started). */
  readonly next: NodePlan;
  readonly check: { readonly key: string; readonly writer: NodePlan; readonly reader: NodePlan };
  readonly dataRootArg: string;
  readonly exitAfterCheck: boolean;
  readonly cwd: string;
}

/** How the user runs `sappers` from `cwd`: the checkout's ./sappers launcher when there is one. */
export function launcherFor(cwd: string): string {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const launcher = join(root, 'sappers');
  if (!existsSync(launcher)) return 'sappers';
  const rel = relative(cwd, launcher);
  return rel === 'sappers' ? './sappers' : launcher;
}

const url = (p: NodePlan, path: string): string => `http://127.0.0.1:${p.httpPort}${path}`;

function curlExamples(plans: readonly NodePlan[]): string[] {
  const at = (i: number): NodePlan => nodeAt(plans, i);
  const rows: [string, string][] = [
    [`curl -X PUT -d hello ${url(at(1), '/v1/kv/greeting')}`, '# true (any node; forwarded)'],
    [`curl '${url(at(2), '/v1/kv/greeting?raw')}'`, '# hello'],
    [`curl ${url(at(0), '/v1/status/leader')}`, "# the leader's Raft address"],
    [`curl ${url(at(0), '/v1/sappers/cluster')}`, '# leader, voters/replicas, members'],
    [`curl ${url(at(0), '/v1/agent/members')}`, "# gossip members, Consul's shape"],
  ];
  const width = Math.max(...rows.map(([c]) => c.length));
  return rows.map(([c, note]) => `  ${c.padEnd(width)}  ${note}`);
}

export function formatSummary(s: SummaryInput): string {
  const launcher = launcherFor(s.cwd);
  const agentRows = s.agents.map(({ plan, pid }) => [
    plan.id,
    String(pid),
    `127.0.0.1:${plan.httpPort}`,
    `:${plan.raftPort}`,
    String(plan.gossipPort),
    plan.dataDirArg,
  ]);
  const stop = s.exitAfterCheck
    ? 'Stopping the agents now (--exit-after-check).'
    : `Ctrl-C stops the agents; their state stays in ${s.dataRootArg} and the next start resumes it.`;
  return [
    '',
    `Local cluster ready: ${s.agents.length} agent(s), leader ${s.leader}, ` +
      `${s.voters.length} voter(s) (${s.voters.join(', ')}).`,
    `Checked: wrote ${s.check.key} through ${s.check.writer.id} and read it back through ` +
      `${s.check.reader.id}.`,
    '',
    formatStatus(s.status),
    '',
    `Agents (output in DATA_DIR/agent.out, JSON logs in DATA_DIR/raft.log):`,
    table(['NODE', 'PID', 'HTTP', 'RAFT', 'GOSSIP', 'DATA_DIR'], agentRows)
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n'),
    '',
    'Try:',
    ...curlExamples(s.agents.map((a) => a.plan)),
    `  ${launcher} status --http-addr 127.0.0.1:${s.agents[0]?.plan.httpPort ?? 0}`,
    '',
    'Add a node (step 8), from another terminal; autopilot makes it a replica:',
    `  ${commandLine(launcher, s.next)}`,
    '',
    stop,
  ].join('\n');
}
