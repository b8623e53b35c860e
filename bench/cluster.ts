// What the load generator and the failover probe need from a 3-member cluster under test; the
// Sappers and etcd launchers implement it, so both systems go through the same client code.
import { createServer } from 'node:net';
import type { Agent } from 'node:http';
import { send, waitFor, type HttpRequest, type HttpResponse, type HttpTarget } from './http.ts';

export type SystemName = 'sappers' | 'etcd';

export interface Member {
  readonly id: string;
  /** Where this member's HTTP API listens (Sappers' --http-addr, etcd's client URL). */
  readonly http: HttpTarget;
}

export interface BenchCluster {
  readonly system: SystemName;
  readonly members: readonly Member[];
  /** Launch settings, for the report (name → value). */
  readonly settings: Readonly<Record<string, string>>;
  /** The write of `value` under `key`, as sent to any member. */
  putRequest(key: string, value: Buffer): HttpRequest;
  /** Whether an answer acknowledges the write (only a successful, durable put does). */
  acknowledged(res: HttpResponse): boolean;
  /** The leader's member id as one member reports it (null: none known, or no answer). */
  leaderSeenBy(id: string): Promise<string | null>;
  /** SIGKILL one member. */
  kill(id: string): Promise<void>;
  /** Start a killed member again on its data directory; resolves when its API answers. */
  restart(id: string): Promise<void>;
  isRunning(id: string): boolean;
  /** Process ids of the running members (for CPU accounting). */
  pids(): readonly number[];
  /** Stop every member (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>;
}

/** The leader on which every running member agrees, or null. */
export async function agreedLeader(c: BenchCluster): Promise<string | null> {
  const running = c.members.filter((m) => c.isRunning(m.id));
  const seen = await Promise.all(running.map((m) => c.leaderSeenBy(m.id)));
  const first = seen[0];
  if (first === undefined || first === null || !c.isRunning(first)) return null;
  return seen.every((s) => s === first) ? first : null;
}

export function memberById(c: BenchCluster, id: string): Member {
  const m = c.members.find((x) => x.id === id);
  if (m === undefined) throw new Error(`${c.system}: no member ${id}`);
  return m;
}

/** `n` distinct loopback ports that were free a moment ago. */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const a = s.address();
    if (a === null || typeof a === 'string') throw new Error('no port');
    return a.port;
  });
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

/** Waits until every member accepts a write (knows the leader), before anything is measured. */
export async function waitForWrites(
  cluster: BenchCluster,
  agent: Agent,
  timeoutMs: number,
): Promise<void> {
  for (const m of cluster.members) {
    await waitFor(
      `a write through ${m.id}`,
      timeoutMs,
      async () => {
        const res = await send(
          agent,
          m.http,
          cluster.putRequest(`bench/ready/${m.id}`, Buffer.from('x')),
          10_000,
        ).catch(() => null);
        return res !== null && cluster.acknowledged(res) ? true : null;
      },
      200,
    );
  }
}
