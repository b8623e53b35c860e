// Launches a 3-node Sappers cluster on loopback with `./sappers` (the product's own command):
// node1 bootstraps, node2 and node3 join through POST /join on node1, as an operator would.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts, waitForWrites, type BenchCluster, type Member } from './cluster.ts';
import { keepAliveAgent, trySend, waitFor, type HttpRequest, type HttpResponse } from './http.ts';
import { type Proc, procControls, startProc, tailLog } from './procs.ts';

export interface SappersOptions {
  /** Parent directory: data dirs and logs go under it. */
  readonly dir: string;
  readonly tickMs: number;
  readonly logLevel: string;
  /** Sappers --snapshot-threshold (the minimum interval); null keeps its default (8,192). */
  readonly snapshotEvery: number | null;
  /**
   * Extra node flags per node (e.g. --cpu-prof, which NODE_OPTIONS does not allow): the node
   * is then started as `node FLAGS --import tsx src/cli/main.ts ...`, which is what ./sappers
   * runs, with the flags added.
   */
  readonly nodeFlagsFor?: (id: string) => readonly string[];
  /** SIGTERM grace before SIGKILL when stopping. */
  readonly stopGraceMs: number;
}

const sappersBin = fileURLToPath(new URL('../sappers', import.meta.url));
const tsxLoader = new URL('../node_modules/tsx/dist/loader.mjs', import.meta.url).href;
const mainTs = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const startTimeoutMs = 60_000;

interface Node {
  readonly member: Member;
  readonly raftPort: number;
  readonly dataDir: string;
  readonly args: readonly string[];
  proc: Proc | null;
}

export async function startSappers(o: SappersOptions): Promise<BenchCluster> {
  const ports = await freePorts(9);
  const gossipPort = (n: number): number => ports[(n - 1) * 3 + 2] ?? 0;
  const nodes: Node[] = [1, 2, 3].map((n) => {
    const id = `node${n}`;
    const raftPort = ports[(n - 1) * 3] ?? 0;
    const httpPort = ports[(n - 1) * 3 + 1] ?? 0;
    const dataDir = join(o.dir, id);
    // Gossip on a port of its own, joining the other members only (never the default
    // 127.0.0.1:7946, where some other agent on this machine may listen).
    const joins = [1, 2, 3]
      .filter((m) => m !== n)
      .flatMap((m) => ['--join', `127.0.0.1:${gossipPort(m)}`]);
    const args = [
      '--node-id',
      id,
      '--gossip-port',
      String(gossipPort(n)),
      ...joins,
      '--raft-addr',
      `127.0.0.1:${raftPort}`,
      '--http-addr',
      `127.0.0.1:${httpPort}`,
      '--tick-ms',
      String(o.tickMs),
      '--log-level',
      o.logLevel,
      ...(o.snapshotEvery === null ? [] : ['--snapshot-threshold', String(o.snapshotEvery)]),
      ...(n === 1 ? ['--bootstrap', '1'] : []),
      dataDir,
    ];
    return {
      member: { id, http: { host: '127.0.0.1', port: httpPort } },
      raftPort,
      dataDir,
      args,
      proc: null,
    };
  });
  mkdirSync(o.dir, { recursive: true });
  const byId = new Map(nodes.map((n) => [n.member.id, n]));
  const byRaftAddr = new Map(nodes.map((n) => [`127.0.0.1:${n.raftPort}`, n.member.id]));
  const agent = keepAliveAgent(8);

  const node = (id: string): Node => {
    const n = byId.get(id);
    if (n === undefined) throw new Error(`sappers: no node ${id}`);
    return n;
  };
  const launch = (n: Node): void => {
    const name = `sappers ${n.member.id}`;
    const log = `${n.dataDir}.out`;
    const flags = o.nodeFlagsFor?.(n.member.id);
    n.proc =
      flags === undefined
        ? startProc(name, sappersBin, n.args, log)
        : startProc(
            name,
            process.execPath,
            [...flags, '--import', tsxLoader, mainTs, ...n.args],
            log,
          );
  };
  const leaderSeenBy = async (id: string): Promise<string | null> => {
    const res = await trySend(
      agent,
      node(id).member.http,
      { method: 'GET', path: '/v1/status/leader' },
      2_000,
    );
    if (res.status !== 200) return null;
    const addr = JSON.parse(res.body) as unknown;
    return typeof addr === 'string' ? (byRaftAddr.get(addr) ?? null) : null;
  };
  const waitUp = async (n: Node): Promise<void> => {
    await waitFor(`${n.member.id}'s HTTP API`, startTimeoutMs, async () => {
      if (n.proc !== null && !n.proc.alive())
        throw new Error(`${n.member.id} exited during start:\n${tailLog(n.proc.logPath)}`);
      const res = await trySend(
        agent,
        n.member.http,
        { method: 'GET', path: '/v1/status/leader' },
        2_000,
      );
      return res.status === 200 ? true : null;
    });
  };

  const cluster: BenchCluster = {
    system: 'sappers',
    members: nodes.map((n) => n.member),
    settings: {
      command:
        `./sappers --tick-ms ${o.tickMs} --log-level ${o.logLevel}` +
        (o.snapshotEvery === null ? '' : ` --snapshot-threshold ${o.snapshotEvery}`),
      snapshots:
        o.snapshotEvery === null
          ? 'default --snapshot-threshold 8192: after at least 8,192 applied entries and at least as many as the previous snapshot held rows and events (at most 131,072), 10,240 entries kept behind'
          : `--snapshot-threshold ${o.snapshotEvery}: after at least ${o.snapshotEvery} applied entries and at least as many as the previous snapshot held rows and events (at most 16x), 10,240 entries kept behind`,
      'heartbeat / election': `${o.tickMs} ms / ${o.tickMs * 10}–${o.tickMs * 20} ms (1 tick; electionTicks 10, randomized in [10, 20) ticks)`,
      'pre-vote, check-quorum': 'on, on (built in)',
      durability:
        'lmdb commit + fdatasync (flushed) before a follower acks an append and before the leader counts its own entries or applies them (its appends go out while it writes); the client is answered after the entry is applied on the leader (so on disk on a quorum)',
    },
    putRequest: (key: string, value: Buffer): HttpRequest => ({
      method: 'PUT',
      path: `/v1/kv/${encodeURIComponent(key).replaceAll('%2F', '/')}`,
      contentType: 'application/octet-stream',
      body: value,
    }),
    acknowledged: (res: HttpResponse) => res.status === 200 && res.body === 'true',
    leaderSeenBy,
    ...procControls({
      system: 'sappers',
      nodes,
      launch,
      waitUp,
      stopGraceMs: o.stopGraceMs,
      afterStop: () => agent.destroy(),
    }),
  };

  try {
    const first = node('node1');
    launch(first);
    await waitFor('node1 to lead the bootstrapped cluster', startTimeoutMs, async () => {
      if (first.proc !== null && !first.proc.alive())
        throw new Error(`node1 exited during start:\n${tailLog(first.proc.logPath)}`);
      return (await leaderSeenBy('node1')) === 'node1' ? true : null;
    });
    const joiners = [node('node2'), node('node3')];
    for (const n of joiners) launch(n);
    await Promise.all(joiners.map(waitUp));
    for (const n of joiners) {
      const body = Buffer.from(
        JSON.stringify({ id: n.member.id, addr: `127.0.0.1:${n.raftPort}` }),
      );
      await waitFor(
        `${n.member.id} to join`,
        startTimeoutMs,
        async () => {
          const res = await trySend(
            agent,
            first.member.http,
            { method: 'POST', path: '/join', contentType: 'application/json', body },
            15_000,
          );
          return res.status === 200 ? true : null;
        },
        500,
      );
    }
    // Every member must know the leader and accept a write before the measurement starts.
    await waitForWrites(cluster, agent, startTimeoutMs);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
