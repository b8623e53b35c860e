// Launches a 3-member etcd cluster (Debian's etcd-server) on loopback: data dirs under a temp
// dir, client and peer URLs on 127.0.0.1 only, fsync left on (no --unsafe-no-fsync), and the
// same timing as Sappers: heartbeat = one Sappers tick, election timeout = 10 ticks, pre-vote on.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts, waitForWrites, type BenchCluster, type Member } from './cluster.ts';
import { keepAliveAgent, trySend, waitFor, type HttpRequest, type HttpResponse } from './http.ts';
import { type Proc, procControls, startProc, tailLog } from './procs.ts';

export interface EtcdOptions {
  readonly dir: string;
  /** etcd --heartbeat-interval (ms); the election timeout is 10 times this. */
  readonly heartbeatMs: number;
  readonly stopGraceMs: number;
  /** etcd --snapshot-count; null keeps etcd's default (100,000 in 3.4). */
  readonly snapshotEvery: number | null;
}

const startTimeoutMs = 60_000;

interface Node {
  readonly member: Member;
  readonly dataDir: string;
  readonly args: readonly string[];
  proc: Proc | null;
}

/** `etcd --version`'s first line, or null when etcd is not installed. */
export function etcdVersion(): string | null {
  try {
    return execFileSync('etcd', ['--version'], { encoding: 'utf8' }).split('\n')[0]?.trim() ?? null;
  } catch {
    return null;
  }
}

export async function startEtcd(o: EtcdOptions): Promise<BenchCluster> {
  if (etcdVersion() === null)
    throw new Error('etcd is not installed: apt-get update && apt-get install -y etcd-server');
  const ports = await freePorts(6);
  const names = ['etcd1', 'etcd2', 'etcd3'];
  const peerUrl = (i: number): string => `http://127.0.0.1:${ports[i * 2] ?? 0}`;
  const initialCluster = names.map((n, i) => `${n}=${peerUrl(i)}`).join(',');
  const token = `sappers-bench-${randomBytes(4).toString('hex')}`;
  const electionMs = o.heartbeatMs * 10;
  const nodes: Node[] = names.map((id, i) => {
    const clientPort = ports[i * 2 + 1] ?? 0;
    const clientUrl = `http://127.0.0.1:${clientPort}`;
    const dataDir = join(o.dir, id);
    const args = [
      '--name',
      id,
      '--data-dir',
      dataDir,
      '--listen-client-urls',
      clientUrl,
      '--advertise-client-urls',
      clientUrl,
      '--listen-peer-urls',
      peerUrl(i),
      '--initial-advertise-peer-urls',
      peerUrl(i),
      '--initial-cluster',
      initialCluster,
      '--initial-cluster-state',
      'new',
      '--initial-cluster-token',
      token,
      '--heartbeat-interval',
      String(o.heartbeatMs),
      '--election-timeout',
      String(electionMs),
      '--pre-vote=true',
      ...(o.snapshotEvery === null ? [] : ['--snapshot-count', String(o.snapshotEvery)]),
      '--logger',
      'zap',
      '--log-outputs',
      'stderr',
    ];
    return {
      member: { id, http: { host: '127.0.0.1', port: clientPort } },
      dataDir,
      args,
      proc: null,
    };
  });
  mkdirSync(o.dir, { recursive: true });
  const byId = new Map(nodes.map((n) => [n.member.id, n]));
  /** etcd's member ids (decimal strings, as the JSON gateway prints uint64) → our names. */
  const byMemberId = new Map<string, string>();
  const agent = keepAliveAgent(8);
  // No ETCD_* variable of the caller's environment may change the configuration.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('ETCD')),
  );

  const node = (id: string): Node => {
    const n = byId.get(id);
    if (n === undefined) throw new Error(`etcd: no member ${id}`);
    return n;
  };
  const launch = (n: Node): void => {
    n.proc = startProc(`etcd ${n.member.id}`, 'etcd', n.args, `${n.dataDir}.out`, env);
  };
  const status = async (id: string): Promise<{ self: string; leader: string } | null> => {
    const res = await trySend(
      agent,
      node(id).member.http,
      {
        method: 'POST',
        path: '/v3/maintenance/status',
        contentType: 'application/json',
        body: Buffer.from('{}'),
      },
      2_000,
    );
    if (res.status !== 200) return null;
    const s = JSON.parse(res.body) as { header?: { member_id?: string }; leader?: string };
    const self = s.header?.member_id;
    if (self === undefined) return null;
    byMemberId.set(self, id);
    return { self, leader: s.leader ?? '0' };
  };
  const leaderSeenBy = async (id: string): Promise<string | null> => {
    const s = await status(id);
    if (s === null || s.leader === '0') return null;
    return byMemberId.get(s.leader) ?? null;
  };
  const waitUp = async (n: Node): Promise<void> => {
    await waitFor(`${n.member.id}'s client API`, startTimeoutMs, async () => {
      if (n.proc !== null && !n.proc.alive())
        throw new Error(`${n.member.id} exited during start:\n${tailLog(n.proc.logPath)}`);
      return (await status(n.member.id)) !== null ? true : null;
    });
  };

  const cluster: BenchCluster = {
    system: 'etcd',
    members: nodes.map((n) => n.member),
    settings: {
      command: `etcd --heartbeat-interval ${o.heartbeatMs} --election-timeout ${electionMs} --pre-vote=true${o.snapshotEvery === null ? '' : ` --snapshot-count ${o.snapshotEvery}`} (no --unsafe-no-fsync)`,
      snapshots:
        o.snapshotEvery === null
          ? 'every 100,000 applied entries (etcd 3.4 default --snapshot-count)'
          : `every ${o.snapshotEvery} applied entries`,
      'heartbeat / election': `${o.heartbeatMs} ms / ${electionMs}–${electionMs * 2} ms (etcd randomizes in [timeout, 2×timeout))`,
      'pre-vote, check-quorum': 'on (flag), on (always on in etcd server)',
      durability:
        'WAL fdatasync before a follower acks an append and before the leader applies; the member serving the request answers after applying the committed entry',
    },
    putRequest: (key: string, value: Buffer): HttpRequest => ({
      method: 'POST',
      path: '/v3/kv/put',
      contentType: 'application/json',
      body: Buffer.from(
        JSON.stringify({
          key: Buffer.from(key).toString('base64'),
          value: value.toString('base64'),
        }),
      ),
    }),
    // A put answers {"header":{...}}; errors answer a non-200 status or {"error":..,"code":..}.
    acknowledged: (res: HttpResponse) =>
      res.status === 200 && res.body.startsWith('{"header"') && !res.body.includes('"error"'),
    leaderSeenBy,
    ...procControls({
      system: 'etcd',
      nodes,
      launch,
      waitUp,
      stopGraceMs: o.stopGraceMs,
      afterStop: () => agent.destroy(),
    }),
  };

  try {
    for (const n of nodes) launch(n);
    await Promise.all(nodes.map(waitUp));
    await waitForWrites(cluster, agent, startTimeoutMs);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
