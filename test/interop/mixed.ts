// Mixed clusters of peer processes for the interop tests: real HashiCorp memberlist nodes
// (interop/bin/memberlist-peer) and Sappers nodes (interop/ts-peer), each in its own process,
// formed by joins that alternate sides, plus the views and bounds the tests check against.
import { suspicionTimeoutMs, type GossipConfig } from '../../src/gossip/core/index.ts';
import { GoPeer, freePort, sleep, type PeerLine, type PeerProcess } from './go.ts';
import { TsPeer } from './ts-peer.ts';

export interface Mixed {
  readonly go: GoPeer[];
  readonly ts: TsPeer[];
  readonly all: PeerProcess[];
}

/**
 * memberlist's bound on everyone noticing a failure among n members: the failed node is probed
 * within n - 1 probe rounds (plus the probe timeout), then a suspicion lasts at most
 * SuspicionMaxTimeoutMult x suspicionMult x max(1, log10 n) x probeInterval; plus slack for
 * gossip and a busy machine.
 */
export function failureBoundMs(n: number, c: GossipConfig): number {
  const min = suspicionTimeoutMs(c.suspicionMult, n, c.probeIntervalMs);
  return (n - 1) * c.probeIntervalMs + c.probeTimeoutMs + c.suspicionMaxTimeoutMult * min + 4000;
}

/** Each peer's latest printed member list: name -> state. */
export function view(p: PeerProcess): Map<string, string> {
  return new Map((p.latestMembers() ?? []).map((m) => [m.name, m.state]));
}

/** Every peer lists exactly `names`, all alive. */
export function allAlive(peers: readonly PeerProcess[], names: readonly string[]): boolean {
  return peers.every((p) => {
    const alive = [...view(p)].filter(([, s]) => s === 'alive').map(([k]) => k);
    return alive.length === names.length && names.every((x) => alive.includes(x));
  });
}

export function describeViews(peers: readonly PeerProcess[]): string {
  return peers
    .map((p) => `${p.name}: ${[...view(p)].map(([k, s]) => `${k}=${s}`).join(' ')}`)
    .join('\n');
}

/** Polls `ok` until it holds; the time it took. Throws with every view past `timeoutMs`. */
export async function until(
  what: string,
  timeoutMs: number,
  ok: () => boolean,
  peers: readonly PeerProcess[],
): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (ok()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) {
      throw new Error(`timed out after ${String(timeoutMs)} ms: ${what}\n${describeViews(peers)}`);
    }
    await sleep(50);
  }
}

/** A membership event line about `name` (join, leave, ...) printed after line `from`. */
export function eventAbout(type: string, name: string): (l: PeerLine) => boolean {
  return (l) => l.type === type && l.node?.name === name;
}

/**
 * Starts 3 Go and 3 Sappers peer processes at once, then joins them one by one, alternating
 * sides (Sappers through Go, Go through Sappers), each join let converge before the next so
 * nobody depends on a later push/pull. Compression is on for some of each side.
 */
/**
 * Two of memberlist's PushPullIntervals (Local 15 s, LAN 30 s) plus 10 s of margin: a member
 * that missed a join's broadcast learns of it at its next push/pull, and on a loaded machine
 * that one can be lost too (CI saw a Go peer still missing a join after 40 s on LAN timings).
 */
const convergeMs = { local: 40_000, lan: 70_000 } as const;

export async function formMixed(
  config: 'lan' | 'local',
  extra: { readonly log?: boolean } = {},
): Promise<Mixed> {
  const goPorts = await Promise.all([freePort(), freePort(), freePort()]);
  const [go, ts] = await Promise.all([
    Promise.all(
      goPorts.map((port, i) =>
        GoPeer.start({ name: `go-${String(i + 1)}`, port, config, compression: i !== 1, ...extra }),
      ),
    ),
    Promise.all(
      [1, 2, 3].map((i) =>
        TsPeer.start({ name: `ts-${String(i)}`, port: 0, config, compression: i === 2 }),
      ),
    ),
  ]);
  const [go1, go2, go3] = go;
  const [ts1, ts2, ts3] = ts;
  if (go1 === undefined || go2 === undefined || go3 === undefined) throw new Error('go peers');
  if (ts1 === undefined || ts2 === undefined || ts3 === undefined) throw new Error('ts peers');
  const steps: [PeerProcess, PeerProcess][] = [
    [ts1, go1],
    [go2, ts1],
    [ts2, go2],
    [go3, go1],
    [ts3, ts1],
  ];
  const joined: PeerProcess[] = [go1];
  for (const [who, through] of steps) {
    const from = who.lines.length;
    who.command(`join ${through.address}`);
    const result = await who.waitLine(
      `${who.name} joins through ${through.name}`,
      15_000,
      (l) => l.type === 'result' && l['command'] === 'join',
      from,
    );
    if (result.error !== '') throw new Error(`${who.name}: join failed: ${String(result.error)}`);
    joined.push(who);
    const names = joined.map((p) => p.name);
    // Usually the join's broadcast reaches everyone at once; a member that missed it (loaded
    // machine, few retransmits) learns at the next push/pull, so wait one interval and margin.
    await until(`all list ${who.name}`, convergeMs[config], () => allAlive(joined, names), joined);
  }
  return { go, ts, all: [...go, ...ts] };
}
