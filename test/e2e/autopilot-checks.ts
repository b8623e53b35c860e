// Reads and checks shared by the autopilot e2e tests: the Raft configuration and gossip view an
// agent reports, the autopilot lines in its log, and the hash-chained event log compared across
// every live agent; the cluster they run in.
import assert from 'node:assert/strict';
import { after } from 'node:test';
import { killAllChildren, mustHttp, TestCluster, waitFor, type Agent } from './cluster.ts';

export interface AutopilotClusterOptions {
  readonly name: string;
  readonly tickMs: number;
  readonly stabilizationMs: number;
  readonly failedGraceMs: number;
}

/**
 * A TestCluster whose agents run `--voters 3` with the given autopilot timings. Call it inside a
 * describe(): the cluster is closed, and every child killed, after that suite.
 */
export function autopilotCluster(o: AutopilotClusterOptions): TestCluster {
  const cluster = new TestCluster({
    name: o.name,
    tickMs: o.tickMs,
    extraArgs: [
      '--voters',
      '3',
      '--autopilot-stabilization-ms',
      String(o.stabilizationMs),
      '--autopilot-failed-grace-ms',
      String(o.failedGraceMs),
    ],
  });
  after(async () => {
    await cluster.close();
    await killAllChildren();
  });
  return cluster;
}

export interface ServerJson {
  readonly ID: string;
  readonly Voter: boolean;
  readonly Healthy: boolean;
}

export async function servers(a: Agent): Promise<ServerJson[]> {
  const body = (await mustHttp(a.httpAddr, 'GET', '/v1/sappers/cluster', { timeoutMs: 5_000 }))
    .body;
  return (JSON.parse(body) as { Servers: ServerJson[] }).Servers;
}

/** Voters and replicas (learners) of `a`'s Raft configuration, each sorted. */
export async function roles(a: Agent): Promise<{ voters: string[]; learners: string[] }> {
  const s = await servers(a);
  return {
    voters: s
      .filter((x) => x.Voter)
      .map((x) => x.ID)
      .sort(),
    learners: s
      .filter((x) => !x.Voter)
      .map((x) => x.ID)
      .sort(),
  };
}

/** Serf's status code of `name` in `a`'s GET /v1/agent/members (1 alive, 3 left, 4 failed). */
export async function statusOf(a: Agent, name: string): Promise<number | undefined> {
  const body = (await mustHttp(a.httpAddr, 'GET', '/v1/agent/members', { timeoutMs: 5_000 })).body;
  return (JSON.parse(body) as { Name: string; Status: number }[]).find((m) => m.Name === name)
    ?.Status;
}

/** The autopilot actions `a` logged (as leader), oldest first. */
export function autopilotActions(
  a: Agent,
): { type: string; node: string; reason: string; time: number }[] {
  return a
    .logLines()
    .filter(
      (l) =>
        typeof l['autopilot'] === 'string' &&
        typeof l['node'] === 'string' &&
        typeof l['msg'] === 'string' &&
        !String(l['msg']).endsWith(' done') &&
        !String(l['msg']).endsWith(' failed'),
    )
    .map((l) => ({
      type: String(l['autopilot']),
      node: String(l['node']),
      reason: String(l['reason']),
      time: Number(l['time']),
    }));
}

export interface EventJson {
  readonly Index: number;
  readonly Term: number;
  readonly Time: string;
  readonly Type: string;
  readonly Subject: string;
  readonly Data: unknown;
  readonly Prev: string;
  readonly Hash: string;
}

const PAGE = 10_000;
/** More events than a test of a few minutes writes; a bound, so a bug cannot loop forever. */
const MAX_PAGES = 50;

/** Every retained event of `a`'s local replica (?stale: no leader needed), oldest first. */
export async function allEvents(a: Agent): Promise<{ events: EventJson[]; oldest: number }> {
  const events: EventJson[] = [];
  let from = 0;
  let oldest = 0;
  for (let page = 0; page < MAX_PAGES; page++) {
    const r = await mustHttp(
      a.httpAddr,
      'GET',
      `/v1/sappers/events?stale&from=${from}&limit=${PAGE}`,
      { timeoutMs: 10_000 },
    );
    oldest = Number(r.headers['x-sappers-events-oldest-index'] ?? 0);
    const got = JSON.parse(r.body) as EventJson[];
    events.push(...got);
    const last = got.at(-1);
    if (got.length < PAGE || last === undefined) return { events, oldest };
    from = last.Index + 1;
  }
  throw new Error(`${a.id}: more than ${MAX_PAGES * PAGE} events`);
}

export interface VerifyJson {
  readonly ok: boolean;
  readonly length: number;
  readonly head?: string;
  readonly brokenAt?: number;
}

export async function verify(a: Agent): Promise<VerifyJson> {
  const r = await mustHttp(a.httpAddr, 'GET', '/v1/sappers/events/verify', { timeoutMs: 20_000 });
  return JSON.parse(r.body) as VerifyJson;
}

/**
 * The event chain verifies on every agent in `agents`, each agent's verified head is the hash of
 * its newest event, and all chains are the same: every agent's events are exactly the longest
 * chain's events up to that agent's own newest index (its applied index), hash for hash. Waits
 * (bounded) until every agent has applied the same newest event, then checks once more that
 * all heads are equal. Returns the common chain length.
 */
export async function checkEventChains(agents: readonly Agent[]): Promise<number> {
  assert.ok(agents.length > 0);
  const chains = new Map<string, EventJson[]>();
  for (const a of agents) {
    const v = await verify(a);
    assert.equal(v.ok, true, `${a.id}: event chain does not verify: ${JSON.stringify(v)}`);
    const { events, oldest } = await allEvents(a);
    assert.equal(oldest, events[0]?.Index ?? 0, `${a.id}: the test expects no dropped events`);
    assert.ok(events.length > 0, `${a.id} has no events`);
    // Events appended between the two requests only lengthen the list: compare the prefix.
    assert.ok(events.length >= v.length, `${a.id}: fewer events than verified`);
    assert.equal(events[v.length - 1]?.Hash, v.head, `${a.id}: verify's head is not its event`);
    chains.set(a.id, events);
  }
  const longest = [...chains.values()].reduce((x, y) => (y.length > x.length ? y : x));
  const byIndex = new Map(longest.map((e) => [e.Index, e]));
  for (const [id, events] of chains) {
    for (const e of events) {
      const ref = byIndex.get(e.Index);
      assert.ok(ref !== undefined, `${id} has event ${e.Index}, the longest chain does not`);
      assert.deepEqual(e, ref, `${id}'s event ${e.Index} differs from the longest chain's`);
    }
    // Same indexes up to its newest: no event missing in the middle either.
    const upTo = longest.filter((e) => e.Index <= (events.at(-1)?.Index ?? 0));
    assert.equal(events.length, upTo.length, `${id}'s chain has a gap`);
  }
  return waitFor('every agent to verify the same chain head', 20_000, async () => {
    const vs = await Promise.all(agents.map((a) => verify(a)));
    const heads = new Set(vs.map((v) => `${v.ok}:${v.length}:${v.head}`));
    return heads.size === 1 && vs[0]?.ok === true ? vs[0].length : undefined;
  });
}
