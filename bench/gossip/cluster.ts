// A benchmark cluster of gossip peer processes of one kind on loopback: real HashiCorp
// memberlist (interop/bin/memberlist-peer) or Sappers (interop/ts-peer), Local timings. It
// forms the cluster and times what the benchmark compares, from the events each peer prints
// (stamped when its line arrives): a join reaching everyone, a SIGKILLed node declared failed
// everywhere, failure verdicts against live nodes under simulated packet loss, and CPU and
// memory per node from /proc.
import { suspicionTimeoutMs, defaultLocalConfig } from '../../src/gossip/core/index.ts';
import { GoPeer, freePort, sleep, type PeerLine, type PeerProcess } from '../../test/interop/go.ts';
import { TsPeer } from '../../test/interop/ts-peer.ts';
import { cpuSeconds, rssBytes } from './procfs.ts';

export type PeerKind = 'go' | 'ts';

export const kindLabel: Readonly<Record<PeerKind, string>> = {
  go: 'memberlist (Go)',
  ts: 'Sappers (TS)',
};

const config = defaultLocalConfig;

/** memberlist's longest suspicion for n members (Local timings). */
export function maxSuspicionMs(n: number): number {
  return (
    config.suspicionMaxTimeoutMult *
    suspicionTimeoutMs(config.suspicionMult, n, config.probeIntervalMs)
  );
}

/** The failure bound the interop tests use: a probe round, the probe, the longest suspicion. */
export function failureBoundMs(n: number): number {
  return (n - 1) * config.probeIntervalMs + config.probeTimeoutMs + maxSuspicionMs(n);
}

/** Longest wait for a join to reach everyone (push/pull repairs what gossip missed). */
export const joinCapMs = 90_000;

/** Time of the first line after index `from` that matches, or null. */
function lineTime(p: PeerProcess, from: number, pred: (l: PeerLine) => boolean): number | null {
  for (let i = from; i < p.lines.length; i++) {
    const l = p.lines[i];
    if (l !== undefined && pred(l)) return p.times[i] ?? null;
  }
  return null;
}

const about = (type: string, name: string) => (l: PeerLine) =>
  l.type === type && l.node?.name === name;

export interface LossResult {
  readonly rate: number;
  readonly windowMs: number;
  /** (observer, subject) failure verdicts against nodes that were running all along. */
  readonly falseVerdicts: number;
  /** Distinct running nodes declared failed by anyone. */
  readonly falseNodes: number;
  /** From restoring the network until every member list was right again (null: not within cap). */
  readonly healMs: number | null;
}

export interface Usage {
  /** CPU used per node, as a percentage of one core. */
  readonly cpuPercent: number[];
  readonly rssBytes: number[];
}

export class GossipBenchCluster {
  readonly kind: PeerKind;
  readonly peers: PeerProcess[] = [];
  private seq = 0;

  private constructor(kind: PeerKind) {
    this.kind = kind;
  }

  /** Starts `n` peers (`batch` at a time), all joining the first; waits until all see all. */
  static async start(
    kind: PeerKind,
    n: number,
    batch: number,
    capMs: number,
  ): Promise<GossipBenchCluster> {
    const c = new GossipBenchCluster(kind);
    const first = await c.startPeer();
    c.peers.push(first);
    while (c.peers.length < n) {
      const count = Math.min(batch, n - c.peers.length);
      const started = await Promise.all(
        Array.from({ length: count }, () => c.startPeer([first.address])),
      );
      c.peers.push(...started);
    }
    await c.waitConverged(capMs);
    return c;
  }

  private async startPeer(join?: readonly string[]): Promise<PeerProcess> {
    this.seq++;
    const o = {
      name: `${this.kind}-${String(this.seq)}`,
      config: 'local' as const,
      compression: true,
      intervalMs: 0,
      ...(join === undefined ? {} : { join }),
    };
    return this.kind === 'go'
      ? GoPeer.start({ ...o, port: await freePort() })
      : TsPeer.start({ ...o, port: 0 });
  }

  /** Whether `p` has printed a join event for every other peer (and no leave since). */
  private seesAll(p: PeerProcess): boolean {
    const alive = new Set<string>();
    for (const l of p.lines) {
      const name = l.node?.name;
      if (name === undefined) continue;
      if (l.type === 'join') alive.add(name);
      else if (l.type === 'leave') alive.delete(name);
    }
    return this.peers.every((q) => q === p || alive.has(q.name));
  }

  async waitConverged(capMs: number): Promise<void> {
    const deadline = Date.now() + capMs;
    while (!this.peers.every((p) => this.seesAll(p))) {
      if (Date.now() > deadline) {
        const behind = this.peers.filter((p) => !this.seesAll(p)).map((p) => p.name);
        throw new Error(`${this.kind} cluster did not converge; behind: ${behind.join(' ')}`);
      }
      await sleep(100);
    }
  }

  /** A new peer joins through `seed`; ms until every member listed it and it listed them all. */
  async timeJoin(seedIndex: number): Promise<number> {
    const seed = this.peers[seedIndex % this.peers.length];
    if (seed === undefined) throw new Error('no seed');
    const newcomer = await this.startPeer();
    const others = [...this.peers];
    const marks = others.map((p) => p.lines.length);
    const mark = newcomer.lines.length;
    const t0 = performance.now();
    newcomer.command(`join ${seed.address}`);
    this.peers.push(newcomer);
    const capMs = joinCapMs;
    await Promise.all(
      others.map((p, i) =>
        p.waitLine(
          `${p.name} sees ${newcomer.name}`,
          capMs,
          about('join', newcomer.name),
          marks[i],
        ),
      ),
    );
    await Promise.all(
      others.map((p) =>
        newcomer.waitLine(`${newcomer.name} sees ${p.name}`, capMs, about('join', p.name), mark),
      ),
    );
    let last = t0;
    others.forEach((p, i) => {
      last = Math.max(last, lineTime(p, marks[i] ?? 0, about('join', newcomer.name)) ?? Infinity);
      last = Math.max(last, lineTime(newcomer, mark, about('join', p.name)) ?? Infinity);
    });
    return last - t0;
  }

  /** SIGKILLs peer `index`; ms until every survivor printed it failed (first, all). */
  async timeKill(index: number): Promise<{ firstMs: number; allMs: number }> {
    const victim = this.peers[index];
    if (victim === undefined) throw new Error('no victim');
    const survivors = this.peers.filter((p) => p !== victim);
    const marks = survivors.map((p) => p.lines.length);
    const capMs = failureBoundMs(this.peers.length) + 15_000;
    const t0 = performance.now();
    victim.kill('SIGKILL');
    this.peers.splice(index, 1);
    await Promise.all(
      survivors.map((p, i) =>
        p.waitLine(`${p.name} drops ${victim.name}`, capMs, about('leave', victim.name), marks[i]),
      ),
    );
    const times = survivors.map(
      (p, i) => lineTime(p, marks[i] ?? 0, about('leave', victim.name)) ?? Infinity,
    );
    return { firstMs: Math.min(...times) - t0, allMs: Math.max(...times) - t0 };
  }

  /** CPU (percent of a core) and RSS per node over `windowMs` of a quiet cluster. */
  async usage(windowMs: number): Promise<Usage> {
    const pids = this.peers.map((p) => p.pid ?? -1);
    const before = pids.map(cpuSeconds);
    const t0 = performance.now();
    await sleep(windowMs);
    const secs = (performance.now() - t0) / 1000;
    const after = pids.map(cpuSeconds);
    const cpuPercent: number[] = [];
    before.forEach((b, i) => {
      const a = after[i];
      if (b !== null && a !== null && a !== undefined) cpuPercent.push(((a - b) / secs) * 100);
    });
    const rss = pids.map(rssBytes).filter((r): r is number => r !== null);
    return { cpuPercent, rssBytes: rss };
  }

  /**
   * Every peer drops `rate` of its outgoing datagrams and fails `rate` of its outgoing TCP
   * connection attempts for `windowMs` (with UDP loss alone, memberlist's TCP fallback ping
   * rescues every probe on loopback); then the network is
   * restored and, for `tailMs`, suspicions begun in the window may still end in verdicts.
   * Counts failure verdicts against peers that ran all along, then waits for healing.
   */
  async lossWindow(
    rate: number,
    windowMs: number,
    tailMs: number,
    healCapMs: number,
  ): Promise<LossResult> {
    const marks = this.peers.map((p) => p.lines.length);
    for (const p of this.peers) p.command(`drop ${String(rate)} ${String(rate)}`);
    await sleep(windowMs);
    for (const p of this.peers) p.command('drop 0 0');
    await sleep(tailMs);
    const names = new Set(this.peers.map((p) => p.name));
    let falseVerdicts = 0;
    const falseNodes = new Set<string>();
    this.peers.forEach((p, i) => {
      for (const l of p.lines.slice(marks[i])) {
        const name = l.node?.name;
        if (l.type === 'leave' && name !== undefined && names.has(name)) {
          falseVerdicts++;
          falseNodes.add(name);
        }
      }
    });
    const healStart = performance.now();
    let healMs: number | null = null;
    try {
      await this.waitConverged(healCapMs);
      healMs = performance.now() - healStart;
    } catch {
      healMs = null;
    }
    return { rate, windowMs, falseVerdicts, falseNodes: falseNodes.size, healMs };
  }

  async stop(): Promise<void> {
    await Promise.all(this.peers.map((p) => p.stop(5000)));
    this.peers.length = 0;
  }
}
