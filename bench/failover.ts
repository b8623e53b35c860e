// Leader failover time: SIGKILL the leader, then measure until the first write issued after
// the kill is acknowledged. Probe writes go to the surviving members (alternating), one every
// `probeEveryMs`, each abandoned after `probeTimeoutMs` (a write a server holds during the
// election is answered when a new leader commits it, so some probe is always waiting). The
// same probe code drives both systems. After a trial the killed member is restarted on its
// data directory and the cluster is given time to settle before the next trial.
import { agreedLeader, memberById, type BenchCluster } from './cluster.ts';
import { keepAliveAgent, trySend, sleep, waitFor } from './http.ts';
import { makeValue } from './load.ts';

export interface FailoverOptions {
  readonly probeEveryMs: number;
  readonly probeTimeoutMs: number;
  /** Give up on a trial after this long without an acknowledged write. */
  readonly maxMs: number;
  readonly settleMs: number;
  readonly valueBytes: number;
}

export interface FailoverTrial {
  readonly system: string;
  readonly killed: string;
  /** Kill → a survivor first reports a new leader (polled every 10 ms); null if never seen. */
  readonly electedMs: number | null;
  /** Kill → first acknowledgement of a write sent after the kill; null on timeout. */
  readonly firstAckMs: number | null;
  readonly probes: number;
  readonly newLeader: string | null;
}

export async function failoverTrial(c: BenchCluster, o: FailoverOptions): Promise<FailoverTrial> {
  const leader = await waitFor(`${c.system} to agree on a leader`, 30_000, () => agreedLeader(c));
  const survivors = c.members.filter((m) => m.id !== leader);
  const agent = keepAliveAgent(Math.ceil(o.probeTimeoutMs / o.probeEveryMs) + 8);
  const value = makeValue(o.valueBytes);
  let seq = 0;
  const put = (i: number) =>
    trySend(
      agent,
      survivors[i % survivors.length]?.http ?? memberById(c, leader).http,
      c.putRequest(`bench/failover/${seq++ % 64}`, value),
      o.probeTimeoutMs,
    );
  try {
    // Both survivors must be serving writes (through the leader) before the kill.
    for (let i = 0; i < 10; i++) {
      const res = await put(i);
      if (!c.acknowledged(res))
        throw new Error(`${c.system}: write before the kill failed: ${res.status} ${res.body}`);
    }
    let firstAck: number | null = null;
    let elected: number | null = null;
    let newLeader: string | null = null;
    const inFlight = new Set<Promise<void>>();
    const tKill = performance.now();
    await c.kill(leader);
    const deadline = tKill + o.maxMs;
    // Watch for the new leader in parallel (for the report: election vs. first write).
    const watcher = (async () => {
      const until = (): number => (firstAck === null ? deadline : tKill + firstAck + 1_000);
      while (elected === null && performance.now() < until()) {
        for (const m of survivors) {
          const l = await c.leaderSeenBy(m.id);
          if (l !== null && l !== leader && elected === null) {
            elected = performance.now() - tKill;
            newLeader = l;
          }
        }
        await sleep(10);
      }
    })();
    let probes = 0;
    while (firstAck === null && performance.now() < deadline) {
      const p = put(probes++).then((res) => {
        if (c.acknowledged(res) && firstAck === null) firstAck = performance.now() - tKill;
      });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      await sleep(o.probeEveryMs);
    }
    await watcher;
    agent.destroy(); // abandons the probes still waiting
    await Promise.allSettled([...inFlight]);
    return {
      system: c.system,
      killed: leader,
      electedMs: elected,
      firstAckMs: firstAck,
      probes,
      newLeader,
    };
  } finally {
    agent.destroy();
  }
}

/** Restarts `id` and waits until it serves writes and every member agrees on a leader. */
export async function recover(c: BenchCluster, id: string, o: FailoverOptions): Promise<void> {
  await c.restart(id);
  const agent = keepAliveAgent(2);
  const value = makeValue(o.valueBytes);
  try {
    await waitFor(
      `${c.system} ${id} to serve writes after its restart`,
      60_000,
      async () => {
        const res = await trySend(
          agent,
          memberById(c, id).http,
          c.putRequest('bench/recovered', value),
          5_000,
        );
        return c.acknowledged(res) ? true : null;
      },
      200,
    );
    await waitFor(`${c.system} to agree on a leader`, 30_000, () => agreedLeader(c));
  } finally {
    agent.destroy();
  }
  await sleep(o.settleMs);
}
