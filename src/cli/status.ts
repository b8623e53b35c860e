// `sappers status DATA_DIR` / `sappers status --http-addr HOST:PORT`: GET /v1/sappers/cluster
// from an agent and print it as tables (servers of the Raft configuration, gossip members).
import type { Command } from 'commander';
import { readAgentFile } from '../agent/agent-file.ts';
import { OptionError, parseAddrFlag } from '../agent/options.ts';

const requestTimeoutMs = 10_000;

/** The subset of the endpoint's JSON this command reads; anything missing prints as "-". */
export interface ClusterStatusJson {
  readonly ClusterId?: string | null;
  readonly Leader?: string | null;
  readonly Term?: number;
  readonly CommitIndex?: number;
  readonly Servers?: readonly {
    readonly ID: string;
    readonly Address?: string;
    readonly Voter?: boolean;
    readonly MatchIndex?: number | null;
    readonly LastContactMs?: number | null;
    readonly Healthy?: boolean;
  }[];
  readonly Members?: readonly {
    readonly Name: string;
    readonly Addr?: string;
    readonly Status?: string;
    readonly Tags?: Readonly<Record<string, string>> | readonly string[];
    readonly CpuFreeMilli?: number | null;
    readonly MemFreeBytes?: number | null;
  }[];
}

const dash = (v: string | number | null | undefined): string =>
  v === null || v === undefined || v === '' ? '-' : String(v);

/** Columns padded to their widest cell, separated by two spaces. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => cell.padEnd(widths[c] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

function userTags(tags: Readonly<Record<string, string>> | readonly string[] | undefined): string {
  if (tags === undefined) return '-';
  if (Array.isArray(tags)) return dash(tags.join(','));
  const rec = tags as Readonly<Record<string, string>>;
  return dash(rec['tags']);
}

export function formatStatus(s: ClusterStatusJson): string {
  const leader = s.Leader ?? null;
  const head = [
    `Cluster: ${dash(s.ClusterId)}`,
    `Leader: ${leader ?? '(none)'}   Term: ${dash(s.Term)}   Commit index: ${dash(s.CommitIndex)}`,
  ];
  const servers = (s.Servers ?? []).map((v) => [
    v.ID,
    dash(v.Address),
    v.ID === leader ? 'leader' : v.Voter === true ? 'voter' : 'replica',
    dash(v.MatchIndex),
    v.LastContactMs === null || v.LastContactMs === undefined ? '-' : `${v.LastContactMs} ms`,
    v.Healthy === true ? 'yes' : v.Healthy === false ? 'NO' : '-',
  ]);
  const members = (s.Members ?? []).map((m) => [
    m.Name,
    dash(m.Addr),
    dash(m.Status),
    userTags(m.Tags),
    m.CpuFreeMilli === null || m.CpuFreeMilli === undefined ? '-' : `${m.CpuFreeMilli}m`,
    formatBytes(m.MemFreeBytes),
  ]);
  return [
    ...head,
    '',
    `Servers (${servers.length}):`,
    table(['ID', 'ADDRESS', 'ROLE', 'MATCH', 'LAST CONTACT', 'HEALTHY'], servers),
    '',
    `Gossip members (${members.length}):`,
    table(['NAME', 'ADDRESS', 'STATUS', 'TAGS', 'CPU FREE', 'MEM FREE'], members),
  ].join('\n');
}

/** Exit code: 0 printed, 1 no agent / it did not answer, 2 bad arguments. */
export async function runStatus(dataDir: string | undefined, httpAddr: string | undefined) {
  if ((dataDir === undefined) === (httpAddr === undefined)) {
    console.error('sappers status: give either DATA_DIR or --http-addr HOST:PORT (not both)');
    return 2;
  }
  let target: string;
  if (httpAddr !== undefined) {
    try {
      const a = parseAddrFlag('--http-addr', httpAddr);
      target = `${a.host === '' ? '127.0.0.1' : a.host}:${a.port}`;
    } catch (err) {
      if (!(err instanceof OptionError)) throw err;
      console.error(`sappers status: ${err.message}`);
      return 2;
    }
  } else {
    const agent = readAgentFile(dataDir ?? '');
    if (agent === null) {
      console.error(`sappers status: no running agent owns ${dataDir} (no live agent.json there)`);
      return 1;
    }
    target = agent.httpAddr;
  }
  let res: Response;
  try {
    res = await fetch(`http://${target}/v1/sappers/cluster`, {
      signal: AbortSignal.timeout(requestTimeoutMs),
    });
  } catch (err) {
    console.error(`sappers status: the agent at ${target} did not answer: ${String(err)}`);
    return 1;
  }
  const body = await res.text();
  if (!res.ok) {
    console.error(`sappers status: ${target} answered ${res.status}: ${body.slice(0, 500)}`);
    return 1;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    console.error(`sappers status: ${target} answered something that is not JSON`);
    return 1;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    console.error(`sappers status: ${target} answered an unexpected document`);
    return 1;
  }
  console.log(formatStatus(parsed));
  return 0;
}

export function registerStatusCommand(program: Command): void {
  // The agent's own --http-addr must not swallow the subcommand's: program options are read only
  // before a subcommand name (the agent form has no subcommand, so it is unaffected).
  program.enablePositionalOptions();
  program
    .command('status')
    .description('print the cluster as the agent on DATA_DIR (or at --http-addr) sees it')
    .argument('[DATA_DIR]', 'DATA_DIR of a running agent')
    .option('--http-addr <host:port>', 'HTTP API address of an agent')
    .action(async (dataDir: string | undefined, opts: { httpAddr?: string }) => {
      const code = await runStatus(dataDir, opts.httpAddr);
      process.exit(code);
    });
}
