// `sappers local`'s proof that the cluster works: every agent agrees on one leader and the
// configuration has the expected voters; then a key written through one node is read back
// through another.
import type { ClusterStatusJson } from './status.ts';

const requestTimeoutMs = 3_000;
const pollIntervalMs = 250;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The agents run but never agreed on a leader with the expected voters in time. */
export class ClusterTimeoutError extends Error {
  readonly code = 'LOCAL_CLUSTER_TIMEOUT';
}

export async function getClusterStatus(httpPort: number): Promise<ClusterStatusJson> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/v1/sappers/cluster`, {
    signal: AbortSignal.timeout(requestTimeoutMs),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const parsed: unknown = await res.json();
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('not a JSON object');
  }
  return parsed;
}

export const votersOf = (s: ClusterStatusJson): string[] =>
  (s.Servers ?? []).filter((v) => v.Voter === true).map((v) => v.ID);

/** What one agent reports, reduced to what the wait compares. */
function readiness(s: ClusterStatusJson, voters: number, nodes: number): string | null {
  if (s.Leader === null || s.Leader === undefined) return 'no leader yet';
  const v = votersOf(s).length;
  if (v !== voters) return `${v} voters of ${voters}`;
  const servers = (s.Servers ?? []).length;
  if (servers < nodes) return `${servers} of ${nodes} agents in the configuration`;
  return null;
}

export interface ClusterReady {
  readonly leader: string;
  /** The status as the leader reports it. */
  readonly status: ClusterStatusJson;
}

/**
 * Polls every agent until all report the same leader, `voters` voters and `nodes` servers.
 * `alive()` is checked each round so that a dead agent fails the wait at once.
 */
export async function waitForCluster(
  agents: readonly { readonly id: string; readonly httpPort: number }[],
  voters: number,
  timeoutMs: number,
  alive: () => string | null,
): Promise<ClusterReady> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no agent answered yet';
  const httpPorts = agents.map((a) => a.httpPort);
  for (;;) {
    const dead = alive();
    if (dead !== null) throw new Error(dead);
    const round = await Promise.allSettled(httpPorts.map((p) => getClusterStatus(p)));
    const problems: string[] = [];
    const leaders = new Set<string>();
    round.forEach((r, i) => {
      if (r.status === 'rejected') {
        problems.push(`:${httpPorts[i]} not answering`);
        return;
      }
      const why = readiness(r.value, voters, httpPorts.length);
      if (why !== null) problems.push(`:${httpPorts[i]} ${why}`);
      else leaders.add(r.value.Leader ?? '');
    });
    if (problems.length === 0 && leaders.size === 1) {
      const leader = [...leaders][0] ?? '';
      const at = Math.max(
        0,
        agents.findIndex((a) => a.id === leader),
      );
      const fromLeader = round[at];
      const status = fromLeader?.status === 'fulfilled' ? fromLeader.value : {};
      return { leader, status };
    }
    if (leaders.size > 1) problems.push(`leaders disagree: ${[...leaders].join(', ')}`);
    last = problems.join('; ');
    if (Date.now() >= deadline) {
      throw new ClusterTimeoutError(`no working cluster after ${timeoutMs / 1000} s (${last})`);
    }
    await sleep(pollIntervalMs);
  }
}

/** PUT through `writePort`, then GET ?raw through `readPort` until it returns the value. */
export async function checkWriteRead(
  key: string,
  value: string,
  writePort: number,
  readPort: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  let written = false;
  while (Date.now() < deadline) {
    try {
      if (!written) {
        const put = await fetch(`http://127.0.0.1:${writePort}/v1/kv/${key}`, {
          method: 'PUT',
          body: value,
          signal: AbortSignal.timeout(requestTimeoutMs),
        });
        const body = await put.text();
        if (!put.ok || body.trim() !== 'true')
          throw new Error(`PUT answered ${put.status} ${body}`);
        written = true;
      }
      const get = await fetch(`http://127.0.0.1:${readPort}/v1/kv/${key}?raw`, {
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
      const got = await get.text();
      if (get.ok && got === value) return;
      last = `GET :${readPort} answered ${get.status} ${JSON.stringify(got.slice(0, 200))}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(pollIntervalMs);
  }
  throw new Error(
    `writing ${key} through :${writePort} and reading it through :${readPort} failed: ${last}`,
  );
}
