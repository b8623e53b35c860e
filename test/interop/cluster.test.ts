// Mixed clusters on loopback: real HashiCorp memberlist 0.2.2 nodes (interop/bin/memberlist-peer)
// and Sappers gossip nodes (GossipCore + the UDP/TCP shell) in one cluster. Everyone lists
// everyone alive; a SIGKILLed Go node is declared dead by Sappers nodes, and a crashed Sappers
// node is dropped by Go nodes, within memberlist's suspicion bound; graceful leaves are seen as
// left; joins work through either side; a shared key forms the cluster and a wrong key stays
// out; compression on and off mix.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  defaultLANConfig,
  defaultLocalConfig,
  suspicionTimeoutMs,
  type GossipConfig,
  type MemberState,
} from '../../src/gossip/core/index.ts';
import type { GossipAddress } from '../../src/gossip/messages.ts';
import { GossipNode } from '../../src/gossip/net/index.ts';
import { Keyring } from '../../src/gossip/wire/index.ts';
import { GoPeer, freePort, killAllPeers, sleep, type PeerNode } from './go.ts';

const sappers = new Set<GossipNode>();
after(async () => {
  killAllPeers();
  for (const n of sappers) await n.close();
});

const config = defaultLocalConfig;
/** Graceful leaves are broadcasts: LAN's 4 retransmits (Local has 2) make losing one unlikely. */
const lan = defaultLANConfig;
const LOOPBACK = '127.0.0.1';

/**
 * memberlist's bound on noticing a failure, for n members: the failed node is probed within
 * n - 1 probe rounds (plus the probe timeout), then a suspicion lasts at most
 * SuspicionMaxTimeoutMult x the minimum timeout; plus slack for gossip and a busy machine.
 */
function failureBoundMs(n: number, c: GossipConfig): number {
  const min = suspicionTimeoutMs(c.suspicionMult, n, c.probeIntervalMs);
  return (n - 1) * c.probeIntervalMs + c.probeTimeoutMs + c.suspicionMaxTimeoutMult * min + 4000;
}

async function startSappers(
  name: string,
  o: { keyring?: Keyring; compression?: boolean; config?: GossipConfig } = {},
): Promise<GossipNode> {
  const n = await GossipNode.start({
    name,
    host: LOOPBACK,
    port: 0,
    config: o.config ?? config,
    keyring: o.keyring,
    compression: o.compression === true,
  });
  sappers.add(n);
  return n;
}

const addr = (n: GossipNode | GoPeer): GossipAddress =>
  n instanceof GoPeer ? { host: LOOPBACK, port: n.port } : n.address;

const views: (() => string)[] = [];

/** Adds each node's current view to timeout messages. */
function watch(nodes: readonly (GossipNode | GoPeer)[]): void {
  views.length = 0;
  for (const n of nodes) {
    views.push(() => {
      const v: Map<string, string> = n instanceof GoPeer ? goView(n) : sappersView(n);
      return `${n.name}: ${[...v].map(([k, st]) => `${k}=${st}`).join(' ')}`;
    });
  }
}

async function until(what: string, timeoutMs: number, ok: () => boolean): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (ok()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) {
      const state = views.map((v) => v()).join('\n');
      throw new Error(`timed out after ${String(timeoutMs)} ms: ${what}\n${state}`);
    }
    await sleep(50);
  }
}

function sappersView(n: GossipNode): Map<string, MemberState> {
  return new Map(n.members().map((m) => [m.name, m.state]));
}

function goView(p: GoPeer): Map<string, string> {
  return new Map((p.latestMembers() ?? []).map((m: PeerNode) => [m.name, m.state]));
}

/** Every node lists exactly `names`, all alive. */
function allAlive(nodes: readonly (GossipNode | GoPeer)[], names: readonly string[]): boolean {
  return nodes.every((n) => {
    const view: Map<string, string> = n instanceof GoPeer ? goView(n) : sappersView(n);
    const alive = [...view].filter(([, s]) => s === 'alive').map(([k]) => k);
    return alive.length === names.length && names.every((x) => alive.includes(x));
  });
}

/** Adds `n` to `started` and waits until every started node lists all of them alive. */
async function convergeWith(
  started: (GossipNode | GoPeer)[],
  n: GossipNode | GoPeer,
): Promise<void> {
  started.push(n);
  watch(started);
  await until(`all list ${n.name}`, 15_000, () =>
    allAlive(
      started,
      started.map((x) => x.name),
    ),
  );
}

describe('mixed Go + Sappers memberlist clusters', { timeout: 240_000 }, () => {
  test(
    '3 Go + 3 Sappers: membership, failures both ways, graceful leaves both ways',
    { timeout: 180_000 },
    async () => {
      // Joins alternate sides: Sappers through Go, Go through Sappers. Each join is let
      // converge before the next, so nobody depends on a later push/pull to learn of a node.
      const started: (GossipNode | GoPeer)[] = [];
      const converge = (n: GossipNode | GoPeer): Promise<void> => convergeWith(started, n);
      const go1 = await GoPeer.start({
        name: 'go-1',
        config: 'lan',
        port: await freePort(),
        compression: true,
      });
      await converge(go1);
      const s1 = await startSappers('ts-1', { compression: false, config: lan });
      s1.join([addr(go1)]);
      await converge(s1);
      const go2 = await GoPeer.start({
        name: 'go-2',
        config: 'lan',
        port: await freePort(),
        join: [`${LOOPBACK}:${String(s1.address.port)}`],
      });
      await converge(go2);
      const s2 = await startSappers('ts-2', { compression: true, config: lan });
      s2.join([addr(go2)]);
      await converge(s2);
      const go3 = await GoPeer.start({
        name: 'go-3',
        config: 'lan',
        port: await freePort(),
        compression: true,
        join: [go1.address],
      });
      await converge(go3);
      const s3 = await startSappers('ts-3', { config: lan });
      s3.join([addr(s1)]);
      await converge(s3);
      const names = ['go-1', 'go-2', 'go-3', 'ts-1', 'ts-2', 'ts-3'];
      assert.ok(allAlive(started, names));

      // Graceful leaves first, while everyone is alive (memberlist's leave is a broadcast with
      // few retransmits; gossip spent on dead nodes could let a failure detector win the race).
      // A Sappers node leaves: Go drops it at once, the other Sappers nodes see it left.
      let from = go1.lines.length;
      await s2.leave(3000);
      await go1.waitLine(
        'go-1 sees ts-2 leave',
        10_000,
        (l) => l.type === 'leave' && l.node?.name === 'ts-2',
        from,
      );
      await until('ts-1 and ts-3 see ts-2 left', 10_000, () =>
        [s1, s3].every((n) => sappersView(n).get('ts-2') === 'left'),
      );
      await until('the Go nodes drop ts-2', 10_000, () =>
        [go1, go2, go3].every((p) => goView(p).get('ts-2') === 'gone'),
      );
      // A Go node leaves (SIGTERM): Sappers see it as left, not failed.
      from = go1.lines.length;
      assert.equal(await go2.stop(), 0);
      await until('Sappers nodes see go-2 left', 10_000, () =>
        [s1, s3].every((n) => sappersView(n).get('go-2') === 'left'),
      );
      await go1.waitLine(
        'go-1 sees go-2 leave',
        10_000,
        (l) => l.type === 'leave' && l.node?.name === 'go-2',
        from,
      );

      // SIGKILL a Go node: the Sappers nodes declare it dead within memberlist's bound.
      const bound = failureBoundMs(4, lan);
      go3.kill('SIGKILL');
      const tookGo = await until(
        `Sappers nodes mark go-3 dead within ${String(bound)} ms`,
        bound,
        () => [s1, s3].every((n) => sappersView(n).get('go-3') === 'dead'),
      );
      await until('go-1 drops go-3', bound, () => goView(go1).get('go-3') === 'gone');
      assert.ok(tookGo <= bound);

      // Crash a Sappers node (sockets closed, no leave): Go drops it, Sappers mark it dead.
      await s3.close();
      const tookTs = await until(
        `go-1 drops ts-3 within ${String(bound)} ms`,
        bound,
        () => goView(go1).get('ts-3') === 'gone',
      );
      await until('ts-1 marks ts-3 dead', bound, () => sappersView(s1).get('ts-3') === 'dead');
      assert.ok(tookTs <= bound);

      assert.equal(sappersView(s1).get('go-1'), 'alive');
      assert.equal(goView(go1).get('ts-1'), 'alive');
      for (const n of [s1, s2, s3])
        assert.equal(n.stats.badPackets, 0, `${n.name} decoded every packet`);
      await s1.close();
      await go1.stop();
    },
  );

  test(
    'a shared key forms the cluster; a wrong key stays out; keys rotate at run time',
    { timeout: 90_000 },
    async () => {
      const key = new Uint8Array(32).map((_, i) => i * 7 + 1);
      const wrong = new Uint8Array(32).map((_, i) => i * 5 + 2);
      const members: (GossipNode | GoPeer)[] = [];
      const goA = await GoPeer.start({
        name: 'go-a',
        port: await freePort(),
        key,
        compression: true,
      });
      await convergeWith(members, goA);
      const sA = await startSappers('ts-a', { keyring: new Keyring(key), compression: false });
      sA.join([addr(goA)]);
      await convergeWith(members, sA);
      const goB = await GoPeer.start({
        name: 'go-b',
        port: await freePort(),
        key,
        join: [`${LOOPBACK}:${String(sA.address.port)}`],
      });
      await convergeWith(members, goB);
      const sB = await startSappers('ts-b', { keyring: new Keyring(key), compression: true });
      sB.join([addr(goB)]);
      await convergeWith(members, sB);
      const names = ['go-a', 'ts-a', 'go-b', 'ts-b'];
      assert.ok(allAlive(members, names));

      // Wrong keys, on either side, through either side.
      const sBad = await startSappers('ts-bad', { keyring: new Keyring(wrong) });
      sBad.join([addr(goA), addr(sA)]);
      const goBad = await GoPeer.start({
        name: 'go-bad',
        port: await freePort(),
        key: wrong,
        join: [`${LOOPBACK}:${String(sB.address.port)}`, goB.address],
      });
      const sPlain = await startSappers('ts-plain');
      sPlain.join([addr(goA), addr(sB)]);
      await sleep(3000);
      assert.ok(allAlive(members, names), 'the cluster is unchanged');
      assert.deepEqual([...sappersView(sBad).keys()], ['ts-bad']);
      assert.deepEqual([...sappersView(sPlain).keys()], ['ts-plain']);
      assert.deepEqual([...goView(goBad).keys()], ['go-bad']);
      const joined = goBad.lines.find((l) => l.type === 'joined');
      assert.ok(joined !== undefined && joined['contacted'] === 0, 'go-bad contacted nobody');
      assert.ok(
        sA.stats.badPackets + sA.stats.badStreams + sB.stats.badPackets + sB.stats.badStreams > 0,
      );

      // Rotate: install a new key everywhere, make it primary everywhere, drop the old one.
      const next = new Uint8Array(16).map((_, i) => 200 - i);
      const b64 = (k: Uint8Array): string => Buffer.from(k).toString('base64');
      for (const s of [sA, sB]) s.keyring?.addKey(next);
      for (const g of [goA, goB]) g.command(`install ${b64(next)}`);
      await sleep(300);
      for (const s of [sA, sB]) s.keyring?.useKey(next);
      for (const g of [goA, goB]) g.command(`use ${b64(next)}`);
      await sleep(300);
      for (const s of [sA, sB]) s.keyring?.removeKey(key);
      for (const g of [goA, goB]) g.command(`remove ${b64(key)}`);
      const results = () =>
        [goA, goB].map((g) => g.lines.filter((l) => l.type === 'result' && l.error === '').length);
      await until('Go applied the three key commands', 5000, () => results().every((n) => n === 3));
      // Still healthy a few probe rounds later, everything on the new key.
      await sleep(3 * config.probeIntervalMs);
      await until('the cluster is healthy on the new key', 10_000, () => allAlive(members, names));
      const badBefore = sA.stats.badPackets;
      await sleep(2 * config.probeIntervalMs);
      assert.ok(allAlive(members, names));
      assert.equal(sA.stats.badPackets, badBefore, 'no undecryptable packets after the rotation');

      for (const n of [sA, sB, sBad, sPlain]) await n.close();
      for (const g of [goA, goB, goBad]) await g.stop();
    },
  );
});
