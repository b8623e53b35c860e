// A gossip node: the deterministic GossipCore driven by real time and the UDP + TCP transport.
// Timers call core.tick() when it next has work; every input (packet, stream, stream answer,
// API call) is followed by drain(): packets go out through the wire layer, streams are opened
// and their answers fed back with streamResult(), membership events go to subscribers.
import { randomInt } from 'node:crypto';
import {
  GossipCore,
  bytesToHost,
  defaultLANConfig,
  type GossipConfig,
  type Member,
  type MemberEvent,
  type Random,
} from '../core/index.ts';
import type { GossipAddress, GossipMessage } from '../messages.ts';
import type { Keyring } from '../wire/index.ts';
import { GossipTransport, type GossipLogger, type TransportStats } from './transport.ts';

export interface GossipNodeOptions {
  readonly name: string;
  /** IP literal to bind UDP and TCP to. */
  readonly host: string;
  /** 0 picks a port free for both UDP and TCP. */
  readonly port: number;
  /** The address others should use (default: the bound one). Must be an IP literal. */
  readonly advertise?: GossipAddress | undefined;
  readonly meta?: Uint8Array | undefined;
  /** memberlist-style tunables (default: DefaultLANConfig). */
  readonly config?: GossipConfig | undefined;
  /** Encryption: on when it holds a key; install/use/remove keys on it at run time. */
  readonly keyring?: Keyring | undefined;
  /** Compress outgoing packets and streams (memberlist's EnableCompression). */
  readonly compression?: boolean | undefined;
  readonly verifyIncoming?: boolean | undefined;
  readonly verifyOutgoing?: boolean | undefined;
  /**
   * Cluster label (newer memberlist's Label, at most 255 bytes): sent in front of every packet
   * and stream, and GCM additional data with encryption. Nodes only hear nodes with the same
   * label (none by default, which keeps memberlist 0.2.2's bytes).
   */
  readonly label?: string | undefined;
  /** Accept unlabeled packets and streams as ours, and drop labeled ones (SkipInboundLabelCheck). */
  readonly skipInboundLabelCheck?: boolean | undefined;
  readonly logger?: GossipLogger | undefined;
  readonly random?: Random | undefined;
}

const cryptoRandom: Random = { int: (max) => (max <= 1 ? 0 : randomInt(max)) };
const MAX_TIMER_MS = 1000;

const now = (): number => Math.floor(performance.now());

function addrKey(a: GossipAddress): string {
  return `${a.host}:${String(a.port)}`;
}

export class GossipNode {
  readonly name: string;
  readonly core: GossipCore;
  readonly transport: GossipTransport;
  readonly keyring: Keyring | undefined;
  private readonly config: GossipConfig;
  private readonly log: GossipLogger | undefined;
  private readonly listeners = new Set<(e: MemberEvent) => void>();
  /** Highest protocol version each address advertised (CRC is added for >= 5). */
  private readonly protocolMax = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    name: string,
    core: GossipCore,
    transport: GossipTransport,
    o: GossipNodeOptions,
    config: GossipConfig,
  ) {
    this.name = name;
    this.core = core;
    this.transport = transport;
    this.keyring = o.keyring;
    this.config = config;
    this.log = o.logger;
  }

  static async start(o: GossipNodeOptions): Promise<GossipNode> {
    const config = o.config ?? defaultLANConfig;
    // The handlers need the node, which needs the bound port: a late-bound reference.
    const ref: { node?: GossipNode } = {};
    const transport = await GossipTransport.listen(
      {
        host: o.host,
        port: o.port,
        wire: {
          keyring: o.keyring,
          compression: o.compression === true,
          protocolVersion: config.protocolVersion,
          verifyIncoming: o.verifyIncoming,
          verifyOutgoing: o.verifyOutgoing,
          label: o.label,
          skipInboundLabelCheck: o.skipInboundLabelCheck,
        },
        logger: o.logger,
        tcpTimeoutMs: config.tcpTimeoutMs,
        udpBufferSize: config.udpBufferSize,
      },
      {
        onPacket: (from, msgs) => {
          ref.node?.onPacket(from, msgs);
        },
        onStream: (from, msg) => (ref.node === undefined ? null : ref.node.onStream(from, msg)),
      },
    );
    let core: GossipCore;
    try {
      core = new GossipCore({
        name: o.name,
        addr: o.advertise ?? transport.address,
        meta: o.meta ?? new Uint8Array(0),
        config,
        random: o.random ?? cryptoRandom,
        nowMs: now(),
      });
    } catch (e) {
      await transport.close();
      throw e;
    }
    const node = new GossipNode(o.name, core, transport, o, config);
    ref.node = node;
    node.flush();
    return node;
  }

  get address(): GossipAddress {
    return this.transport.address;
  }

  get stats(): TransportStats {
    return this.transport.stats;
  }

  /** Calls `fn` for every membership event; returns the unsubscribe function. */
  subscribe(fn: (e: MemberEvent) => void): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }

  members(): readonly Member[] {
    return this.core.members();
  }

  /** Starts a push/pull join with each address (answers merge in as they come). */
  join(addrs: readonly GossipAddress[]): void {
    this.core.join(addrs);
    this.flush();
  }

  setMeta(meta: Uint8Array): void {
    this.core.setMeta(meta);
    this.flush();
  }

  /** Broadcasts our leave and waits (at most timeoutMs) until it went out, then closes. */
  async leave(timeoutMs = 5000): Promise<void> {
    if (this.closed) return;
    this.core.leave();
    this.flush();
    const deadline = Date.now() + timeoutMs;
    while (!this.core.leaveComplete() && Date.now() < deadline && !this.closed) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await this.close();
  }

  /** Stops at once, telling nobody (as a crash would look to the others). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.transport.close();
  }

  // ---- plumbing ----

  private learn(msgs: readonly GossipMessage[]): void {
    for (const m of msgs) {
      if (m.type === 'alive') this.learnVsn(m.body.Addr, m.body.Port, m.body.Vsn);
      else if (m.type === 'pushPull') {
        for (const n of m.body.nodes) this.learnVsn(n.Addr, n.Port, n.Vsn);
      }
    }
  }

  private learnVsn(addr: Uint8Array, port: number, vsn: readonly number[]): void {
    const host = bytesToHost(addr);
    const pmax = vsn[1];
    if (host === null || pmax === undefined) return;
    if (this.protocolMax.size > 100_000) this.protocolMax.clear();
    this.protocolMax.set(addrKey({ host, port }), pmax);
  }

  private onPacket(from: GossipAddress, msgs: GossipMessage[]): void {
    if (this.closed) return;
    this.learn(msgs);
    this.core.tick(now());
    this.core.receivePacket(from, msgs);
    this.flush();
  }

  private onStream(from: GossipAddress, msg: GossipMessage): GossipMessage | null {
    if (this.closed) return null;
    this.learn([msg]);
    this.core.tick(now());
    const reply = this.core.handleStream(from, msg);
    this.flush();
    return reply;
  }

  private flush(): void {
    if (this.closed) return;
    const d = this.core.drain();
    for (const p of d.packets) {
      this.transport.send(p.to, p.msgs, { crc: (this.protocolMax.get(addrKey(p.to)) ?? 0) >= 5 });
    }
    for (const s of d.streams) {
      this.transport.request(s.to, s.msg, this.config.tcpTimeoutMs).then(
        (reply) => {
          this.streamDone(s.id, reply);
        },
        (e: unknown) => {
          this.log?.debug(
            { to: addrKey(s.to), err: e instanceof Error ? e.message : String(e) },
            'gossip: stream failed',
          );
          this.streamDone(s.id, e instanceof Error ? e : new Error(String(e)));
        },
      );
    }
    for (const e of d.events) {
      for (const fn of this.listeners) {
        try {
          fn(e);
        } catch (err) {
          this.log?.warn(
            { err: err instanceof Error ? err.message : String(err) },
            'gossip: event listener failed',
          );
        }
      }
    }
    this.schedule();
  }

  private streamDone(id: number, reply: GossipMessage | Error): void {
    if (this.closed) return;
    if (!(reply instanceof Error)) this.learn([reply]);
    this.core.tick(now());
    this.core.streamResult(id, reply);
    this.flush();
  }

  private schedule(): void {
    if (this.closed) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const next = this.core.nextTickAt();
    const delay = Number.isFinite(next)
      ? Math.min(MAX_TIMER_MS, Math.max(0, next - now()))
      : MAX_TIMER_MS;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.closed) return;
      this.core.tick(now());
      this.flush();
    }, delay);
  }
}
