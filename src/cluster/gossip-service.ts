// The agent's gossip membership: a memberlist-compatible GossipNode named after --node-id, joined
// through --join addresses (retried with bounded backoff, and again whenever this node finds
// itself alone; even when not alone, every reconnectIntervalMs it push-pulls with one failed
// member or unreached join target so that islands left by a long partition merge: reconnect.ts),
// carrying this agent's metadata (refreshed as free resources, cluster id or state change) and
// reporting members with their decoded Sappers metadata.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Logger } from 'pino';
import { defaultLANConfig, type GossipConfig, type MemberState } from '../gossip/core/index.ts';
import type { GossipAddress } from '../gossip/messages.ts';
import { GossipNode, type TransportStats } from '../gossip/net/index.ts';
import type { Keyring } from '../gossip/wire/index.ts';
import type { HostPort } from '../transport/address.ts';
import { decodeMeta, encodeMeta, type AgentMeta } from './meta.ts';
import {
  defaultReconnectIntervalMs,
  FailedMembers,
  pickReconnectTarget,
  type ReconnectMember,
} from './reconnect.ts';

export interface GossipServiceOptions {
  readonly nodeId: string;
  /** IP literal to bind UDP and TCP to ('0.0.0.0' = every IPv4 interface). */
  readonly bindHost: string;
  readonly port: number;
  /** IP literal other agents use to reach this one. */
  readonly advertiseHost: string;
  /** --join addresses (hostnames are resolved at each attempt). */
  readonly join: readonly HostPort[];
  /** More join targets ("host:port"), e.g. gossip addresses remembered in the members table. */
  readonly extraJoinTargets?: () => readonly string[];
  readonly keyring?: Keyring | undefined;
  /** memberlist's cluster label (--gossip-label); unset for none. */
  readonly label?: string | undefined;
  /** This agent's metadata as of now; called at start and at every refresh. */
  readonly meta: () => AgentMeta;
  readonly logger: Logger;
  readonly config?: GossipConfig;
  /** How often free resources are re-read into the metadata. */
  readonly metaRefreshMs?: number;
  /** How often to push-pull with a failed member or unreached join target (default 30 s). */
  readonly reconnectIntervalMs?: number;
  /** Failed members are remembered for reconnecting this long (default 72 h). */
  readonly reconnectTimeoutMs?: number;
}

/** A gossip member with its Sappers metadata (null for plain memberlist peers). */
export interface GossipPeer {
  readonly name: string;
  readonly addr: GossipAddress;
  readonly state: MemberState;
  /** Monotonic ms (performance.now() floor) when the state last changed. */
  readonly stateChangeMs: number;
  readonly meta: AgentMeta | null;
  /** Its memberlist incarnation (only it raises it; a restart refutes with a higher one). */
  readonly incarnation?: number;
}

export interface GossipPeerEvent {
  readonly type: 'join' | 'update' | 'suspect' | 'alive' | 'fail' | 'leave';
  readonly peer: GossipPeer;
}

export const joinBackoffMinMs = 250;
export const joinBackoffMaxMs = 5_000;
/** Check for "alone" (and remember failed members) this often once joined. */
export const aloneCheckMs = 2_000;
const defaultMetaRefreshMs = 10_000;
const maxJoinTargets = 64;

export class GossipService {
  readonly node: GossipNode;
  private readonly o: GossipServiceOptions;
  private lastMeta: Uint8Array;
  private closed = false;
  private wake: (() => void) | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  private joinedLogged = false;
  private readonly failed: FailedMembers;
  private nextReconnectMs: number;

  private constructor(node: GossipNode, o: GossipServiceOptions, meta: Uint8Array) {
    this.node = node;
    this.o = o;
    this.lastMeta = meta;
    this.failed = new FailedMembers(o.reconnectTimeoutMs);
    this.nextReconnectMs = performance.now() + this.reconnectIntervalMs;
  }

  private get reconnectIntervalMs(): number {
    return this.o.reconnectIntervalMs ?? defaultReconnectIntervalMs;
  }

  static async start(o: GossipServiceOptions): Promise<GossipService> {
    const meta = encodeMeta(o.meta()).bytes;
    const log = o.logger.child({ component: 'gossip' });
    const node = await GossipNode.start({
      name: o.nodeId,
      host: o.bindHost,
      port: o.port,
      advertise: { host: o.advertiseHost, port: o.port },
      meta,
      config: o.config ?? defaultLANConfig,
      keyring: o.keyring,
      label: o.label,
      logger: {
        debug: (obj, msg) => log.debug(obj, msg),
        warn: (obj, msg) => log.warn(obj, msg),
      },
    });
    const svc = new GossipService(node, o, meta);
    void svc.joinLoop();
    svc.every(o.metaRefreshMs ?? defaultMetaRefreshMs, () => svc.refreshMeta());
    o.logger.info(
      {
        gossipAddr: `${o.advertiseHost}:${o.port}`,
        encrypted: o.keyring !== undefined,
        label: o.label ?? null,
      },
      'gossip started',
    );
    return svc;
  }

  get address(): string {
    return `${this.o.advertiseHost}:${this.o.port}`;
  }

  /** Packet and stream counters of the gossip transport (bad packets are dropped and counted). */
  stats(): TransportStats {
    return this.node.stats;
  }

  members(): GossipPeer[] {
    return this.node.members().map(toPeer);
  }

  /** Members other than this node that gossip believes alive (or suspect). */
  othersAlive(): number {
    return this.node
      .members()
      .filter((m) => m.name !== this.o.nodeId && (m.state === 'alive' || m.state === 'suspect'))
      .length;
  }

  subscribe(fn: (e: GossipPeerEvent) => void): () => void {
    return this.node.subscribe((e) => fn({ type: e.type, peer: toPeer(e.member) }));
  }

  /** Re-encodes the metadata and announces it if it changed (a new incarnation). */
  refreshMeta(): void {
    if (this.closed) return;
    const enc = encodeMeta(this.o.meta());
    if (enc.droppedTags > 0 || enc.droppedLeader) {
      this.o.logger.warn(
        { droppedTags: enc.droppedTags, droppedLeader: enc.droppedLeader },
        'gossip metadata over 512 bytes: trailing tags left out',
      );
    }
    if (sameBytes(enc.bytes, this.lastMeta)) return;
    this.lastMeta = enc.bytes;
    this.node.setMeta(enc.bytes);
  }

  /** Tells the others we leave (bounded wait), then closes. */
  async leave(timeoutMs: number): Promise<void> {
    if (this.closed) return;
    this.stopTimers();
    await this.node.leave(timeoutMs);
    this.o.logger.info('left the gossip cluster');
  }

  async close(): Promise<void> {
    this.stopTimers();
    await this.node.close();
  }

  private stopTimers(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.wake?.();
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(() => {
      try {
        fn();
      } catch (err) {
        this.o.logger.warn({ err }, 'gossip: periodic task failed');
      }
    }, ms);
    this.timers.add(t);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.wake = null;
        r();
      }, ms);
      this.timers.add(t);
      this.wake = () => {
        clearTimeout(t);
        r();
      };
    });
  }

  /** Joins while alone: at start, and again if every other member is gone. */
  private async joinLoop(): Promise<void> {
    let delayMs = joinBackoffMinMs;
    let attempts = 0;
    while (!this.closed) {
      if (this.othersAlive() > 0) {
        if (!this.joinedLogged) {
          this.joinedLogged = true;
          this.o.logger.info({ members: this.node.members().length }, 'joined the gossip cluster');
        }
        delayMs = joinBackoffMinMs;
        attempts = 0;
        await this.reconnect();
        await this.sleep(aloneCheckMs);
        continue;
      }
      this.joinedLogged = false;
      const targets = await this.targets().catch(() => []);
      if (this.closed) return;
      if (targets.length > 0) {
        this.node.join(targets);
        attempts++;
        if (attempts === 1 || attempts % 20 === 0) {
          this.o.logger.info(
            { targets: targets.map((t) => `${t.host}:${t.port}`), attempts },
            'gossip: joining',
          );
        }
      }
      await this.sleep(delayMs);
      delayMs = Math.min(joinBackoffMaxMs, delayMs * 2);
    }
  }

  /** Remembers failed members; when due, push-pulls with one of them or a join target. */
  private async reconnect(): Promise<void> {
    const members: readonly ReconnectMember[] = this.node.members();
    const now = performance.now();
    this.failed.observe(members, this.o.nodeId, now);
    if (now < this.nextReconnectMs) return;
    this.nextReconnectMs = now + this.reconnectIntervalMs;
    const joinTargets = await this.targets().catch(() => []);
    if (this.closed) return;
    const target = pickReconnectTarget({
      selfName: this.o.nodeId,
      selfAddr: { host: this.o.advertiseHost, port: this.o.port },
      members,
      failed: this.failed.list(),
      joinTargets,
      random: Math.random,
    });
    if (target === null) return;
    this.o.logger.debug({ target: `${target.host}:${target.port}` }, 'gossip: reconnecting');
    this.node.join([target]);
  }

  private async targets(): Promise<GossipAddress[]> {
    const out = new Map<string, GossipAddress>();
    const candidates: HostPort[] = [...this.o.join];
    for (const s of this.o.extraJoinTargets?.() ?? []) {
      const at = s.lastIndexOf(':');
      const port = Number(s.slice(at + 1));
      if (at > 0 && Number.isInteger(port) && port > 0)
        candidates.push({ host: s.slice(0, at), port });
    }
    const own = ownHosts(this.o.bindHost, this.o.advertiseHost);
    for (const c of candidates.slice(0, maxJoinTargets)) {
      const host = await resolveHost(c.host);
      if (host === null) continue;
      if (c.port === this.o.port && own.has(host)) continue; // ourselves
      out.set(`${host}:${c.port}`, { host, port: c.port });
    }
    return [...out.values()];
  }
}

/** A gossip member as the cluster layer sees it (the simulator maps its members the same way). */
export function toPeer(m: {
  name: string;
  addr: GossipAddress;
  state: MemberState;
  stateChangeMs: number;
  meta: Uint8Array;
  incarnation: number;
}): GossipPeer {
  return {
    name: m.name,
    addr: m.addr,
    state: m.state,
    stateChangeMs: m.stateChangeMs,
    meta: decodeMeta(m.meta),
    incarnation: m.incarnation,
  };
}

async function resolveHost(host: string): Promise<string | null> {
  if (host === '' || host === 'localhost') return '127.0.0.1';
  if (isIP(host) !== 0) return host;
  try {
    return (await lookup(host, { family: 4 })).address;
  } catch {
    return null;
  }
}

function ownHosts(bind: string, advertise: string): Set<string> {
  const own = new Set<string>(['127.0.0.1', '0.0.0.0', bind, advertise]);
  if (bind === '0.0.0.0') {
    for (const list of Object.values(networkInterfaces())) {
      for (const a of list ?? []) if (a.family === 'IPv4') own.add(a.address);
    }
  }
  return own;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
