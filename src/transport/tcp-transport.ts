// Raft RPCs over TCP. Each node listens on its raft address and keeps one outgoing connection
// per peer; messages to a peer travel only on our connection to it, replies on its connection
// to us. So every connection is one-way, and per-connection order is per-sender order.
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { DriverTransport } from '../raft/driver.ts';
import type { Message } from '../raft/messages.ts';
import type { Random } from '../raft/options.ts';
import type { HostPort } from './address.ts';
import { mathRandom } from './backoff.ts';
import { encodeAppFrame, encodeMessage } from './codec.ts';
import { MAX_NODE_ID_LENGTH } from './fields.ts';
import { DEFAULT_MAX_FRAME_BYTES, FRAME_HEADER_BYTES } from './frame-decoder.ts';
import { serveConnection } from './inbound.ts';
import { PeerLink } from './peer-link.ts';
import { zeroCounters, type PeerStatus, type TransportStats } from './stats.ts';
import { WireError } from './wire-error.ts';

/** Peers whose self-announced address is remembered; more are ignored. */
const maxLearnedAddresses = 1024;

export interface TransportTuning {
  /** Largest frame payload sent or accepted; must exceed the largest entry or snapshot chunk. */
  readonly maxFrameBytes: number;
  /** Encoded frames waiting for one peer's socket; beyond it the oldest are dropped. */
  readonly maxQueuedBytesPerPeer: number;
  /** Bounds a TCP connect, and the wait for an inbound connection's hello frame. */
  readonly dialTimeoutMs: number;
  readonly backoffMinMs: number;
  readonly backoffMaxMs: number;
  /** Accepted sockets held at once; more are closed on arrival. */
  readonly maxInboundConnections: number;
  /**
   * Accepted sockets that have not said hello yet (each may buffer up to a frame until the
   * hello timeout); a smaller cap, so strangers cannot crowd out real peers.
   */
  readonly maxPendingHellos: number;
}

export const defaultTransportTuning: TransportTuning = {
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  maxQueuedBytesPerPeer: 16 * 1024 * 1024,
  dialTimeoutMs: 3000,
  backoffMinMs: 50,
  backoffMaxMs: 5000,
  maxInboundConnections: 256,
  maxPendingHellos: 32,
};

export interface TcpTransportOptions extends Partial<TransportTuning> {
  readonly id: string;
  /** Port 0 picks a free port (tests); host '' listens on all interfaces. */
  readonly listen: HostPort;
  /** A peer's `host:port`, looked up whenever a connection to it is dialed. */
  readonly peers: (id: string) => string | undefined;
  /** This node's `host:port` as peers should dial it; sent in every hello. */
  readonly advertise?: string;
}

export interface TcpTransportComponents {
  readonly logger: Logger;
  /** Called synchronously for each valid inbound message addressed to this node. */
  readonly onMessage: (m: Message) => void;
  /** Called synchronously for each application frame (see sendApp) addressed to this node. */
  readonly onAppFrame?: (from: string, payload: Uint8Array) => void;
  /**
   * The current inbound connection of `peer` closed and no newer one replaced it: the peer
   * restarted or died (a crashed process's sockets are reset at once), or the network failed.
   */
  readonly onPeerDisconnected?: (peer: string) => void;
  /** Backoff jitter; injectable so tests and simulations replay. */
  readonly random?: Random;
}

export interface TcpTransport extends DriverTransport {
  /** Listens; resolves with the bound address (the real port when 0 was asked for). */
  start(): Promise<HostPort>;
  /** Queues each message for its peer and returns at once; never throws, never blocks. */
  send(messages: readonly Message[]): void;
  /**
   * Queues an opaque application payload for `to`, on the same connection as Raft messages.
   * False when it cannot go (stopped, no address for `to`, over maxFrameBytes); true means
   * queued, not delivered: it may still be dropped, so callers need their own timeout.
   */
  sendApp(to: string, payload: Uint8Array): boolean;
  /** Overrides the resolver for one peer; a changed address redials. */
  setPeer(id: string, addr: string): void;
  /** Closes the connection to a peer and discards what was queued for it. */
  removePeer(id: string): void;
  /** Closes the listener and every connection; resolves when all sockets are closed. */
  stop(): Promise<void>;
  stats(): TransportStats;
}

export function createTcpTransport(
  options: TcpTransportOptions,
  components: TcpTransportComponents,
): TcpTransport {
  const tuning = checkTuning(tuningFrom(options));
  checkId(options.id);
  return new Transport(options, tuning, components);
}

class Transport implements TcpTransport {
  readonly #o: TcpTransportOptions;
  readonly #t: TransportTuning;
  readonly #c: TcpTransportComponents;
  readonly #log: Logger;
  readonly #counters = zeroCounters();
  readonly #links = new Map<string, PeerLink>();
  /** Links with application frames queued this turn (flushed together, see sendApp). */
  readonly #appFlush = new Set<PeerLink>();
  #appFlushScheduled = false;
  readonly #addrs = new Map<string, string>();
  /** Addresses peers announced in their hellos; a fallback, bounded. */
  readonly #learned = new Map<string, string>();
  readonly #inbound = new Set<Socket>();
  /** The current inbound connection of each peer that said hello. */
  readonly #inboundByPeer = new Map<string, Socket>();
  #lastRefusalLogMs = 0;
  #server: Server | null = null;
  #stopped = false;

  constructor(o: TcpTransportOptions, t: TransportTuning, c: TcpTransportComponents) {
    this.#o = o;
    this.#t = t;
    this.#c = c;
    this.#log = c.logger.child({ component: 'transport' });
  }

  start(): Promise<HostPort> {
    if (this.#server !== null || this.#stopped) {
      return Promise.reject(new Error('transport already started or stopped'));
    }
    const server = createServer((s) => this.#accept(s));
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      const { host, port } = this.#o.listen;
      server.listen({ host: host === '' ? undefined : host, port }, () => {
        server.off('error', reject);
        server.on('error', (err) => this.#log.error({ err }, 'listener error'));
        const bound = boundAddress(server, this.#o.listen);
        this.#log.info({ addr: bound }, 'raft transport listening');
        resolve(bound);
      });
    });
  }

  send(messages: readonly Message[]): void {
    const touched = new Set<PeerLink>();
    for (const m of messages) {
      const link = this.#enqueue(m.to, m.type, encodeMessage(m, this.#t.maxFrameBytes));
      if (link !== null) touched.add(link);
    }
    for (const link of touched) link.flush();
  }

  /**
   * Queues an application frame; it leaves at the end of this event-loop turn, together with
   * every other frame queued for the same peer meanwhile. A busy follower forwards many client
   * writes per turn and a leader answers them in bursts (one per applied entry): one socket
   * write each cost a syscall and a wake-up of the peer per request.
   */
  sendApp(to: string, payload: Uint8Array): boolean {
    const frame = encodeAppFrame(this.#o.id, to, payload, this.#t.maxFrameBytes);
    const link = this.#enqueue(to, 'appFrame', frame);
    if (link === null) return false;
    this.#appFlush.add(link);
    if (!this.#appFlushScheduled) {
      this.#appFlushScheduled = true;
      setImmediate(() => {
        this.#appFlushScheduled = false;
        for (const l of this.#appFlush) l.flush();
        this.#appFlush.clear();
      });
    }
    return true;
  }

  setPeer(id: string, addr: string): void {
    const previous = this.#address(id);
    this.#addrs.set(id, addr);
    if (previous !== addr) this.#links.get(id)?.redial();
  }

  removePeer(id: string): void {
    this.#addrs.delete(id);
    const link = this.#links.get(id);
    this.#links.delete(id);
    void link?.close();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const closing = [...this.#links.values()].map((l) => l.close());
    this.#links.clear();
    for (const s of this.#inbound) s.destroy();
    const server = this.#server;
    if (server !== null) closing.push(new Promise((r) => server.close(() => r())));
    await Promise.all(closing);
    this.#log.info('raft transport stopped');
  }

  stats(): TransportStats {
    const peers: Record<string, PeerStatus> = {};
    for (const [id, link] of this.#links) peers[id] = link.status();
    return { ...this.#counters, inboundConnections: this.#inbound.size, peers };
  }

  /** Queues one encoded frame on the peer's link; null (and counted as dropped) if it cannot. */
  #enqueue(to: string, type: string, frame: Buffer | WireError): PeerLink | null {
    if (frame instanceof WireError) {
      // Oversized: the peer would refuse it anyway. Loud, since it repeats on every retry.
      this.#counters.dropped++;
      this.#log.warn({ to, type, reason: frame.message }, 'message not sent');
      return null;
    }
    const link = this.#link(to);
    if (link === null) {
      this.#counters.dropped++;
      this.#log.debug({ to, type, stopped: this.#stopped }, 'no route to peer: message dropped');
      return null;
    }
    link.enqueue(frame);
    return link;
  }

  #address(peer: string): string | undefined {
    // The resolver (the replicated configuration) wins over what a peer said of itself.
    return this.#addrs.get(peer) ?? this.#o.peers(peer) ?? this.#learned.get(peer);
  }

  /** The peer's link, created on first use; none for a peer without an address. */
  #link(peer: string): PeerLink | null {
    if (this.#stopped) return null;
    let link = this.#links.get(peer);
    if (link === undefined) {
      if (this.#address(peer) === undefined) return null;
      link = new PeerLink({
        self: this.#o.id,
        advertise: this.#o.advertise,
        peer,
        maxQueuedBytes: this.#t.maxQueuedBytesPerPeer,
        dialTimeoutMs: this.#t.dialTimeoutMs,
        backoff: {
          minMs: this.#t.backoffMinMs,
          maxMs: this.#t.backoffMaxMs,
          random: this.#c.random ?? mathRandom,
        },
        resolve: () => this.#address(peer),
        logger: this.#log,
        counters: this.#counters,
      });
      this.#links.set(peer, link);
    }
    return link;
  }

  #accept(s: Socket): void {
    if (this.#stopped) {
      s.destroy();
      return;
    }
    const pending = this.#inbound.size - this.#inboundByPeer.size;
    if (
      this.#inbound.size >= this.#t.maxInboundConnections ||
      pending >= this.#t.maxPendingHellos
    ) {
      this.#counters.inboundRefused++;
      const nowMs = Date.now();
      if (nowMs - this.#lastRefusalLogMs >= 1000) {
        this.#lastRefusalLogMs = nowMs;
        this.#log.warn(
          { remote: s.remoteAddress, inbound: this.#inbound.size, pending },
          'refusing inbound connection: limit reached',
        );
      }
      s.destroy();
      return;
    }
    this.#inbound.add(s);
    s.once('close', () => this.#inbound.delete(s));
    serveConnection(s, {
      self: this.#o.id,
      maxFrameBytes: this.#t.maxFrameBytes,
      helloTimeoutMs: this.#t.dialTimeoutMs,
      logger: this.#log,
      counters: this.#counters,
      onMessage: this.#c.onMessage,
      onAppFrame: this.#c.onAppFrame,
      onPeer: (peer, socket, addr) => this.#onPeer(peer, socket, addr),
    });
  }

  /**
   * A peer keeps one connection to us, so its new hello makes any older connection stale:
   * close it. This frees sockets whose FIN never arrived (peer crashed, we never write to
   * them) and keeps frames of the old connection from arriving after the new one's.
   */
  #learnAddress(peer: string, addr: string): void {
    if (this.#learned.get(peer) === addr) return;
    if (!this.#learned.has(peer) && this.#learned.size >= maxLearnedAddresses) return;
    this.#learned.set(peer, addr);
    this.#log.debug({ peer, addr }, 'learned peer address from its hello');
  }

  #onPeer(peer: string, socket: Socket, addr: string | undefined): void {
    if (addr !== undefined) this.#learnAddress(peer, addr);
    const previous = this.#inboundByPeer.get(peer);
    if (previous !== undefined && previous !== socket) {
      this.#log.debug({ peer }, 'peer reconnected: closing its previous inbound connection');
      previous.destroy();
    }
    this.#inboundByPeer.set(peer, socket);
    // A restarted peer is reachable again: our link to it need not wait out its backoff
    // (up to backoffMaxMs), during which none of our answers could reach it.
    this.#links.get(peer)?.peerIsUp();
    socket.once('close', () => {
      if (this.#inboundByPeer.get(peer) !== socket) return;
      this.#inboundByPeer.delete(peer);
      if (this.#stopped) return;
      this.#log.info({ peer }, 'inbound connection from peer lost');
      try {
        this.#c.onPeerDisconnected?.(peer);
      } catch (err) {
        this.#log.error({ peer, err }, 'peer-disconnected handler threw');
      }
    });
  }
}

function boundAddress(server: Server, asked: HostPort): HostPort {
  const a = server.address();
  if (a === null || typeof a === 'string') return asked;
  return { host: a.address, port: a.port };
}

function tuningFrom(o: Partial<TransportTuning>): TransportTuning {
  const d = defaultTransportTuning;
  return {
    maxFrameBytes: o.maxFrameBytes ?? d.maxFrameBytes,
    maxQueuedBytesPerPeer: o.maxQueuedBytesPerPeer ?? d.maxQueuedBytesPerPeer,
    dialTimeoutMs: o.dialTimeoutMs ?? d.dialTimeoutMs,
    backoffMinMs: o.backoffMinMs ?? d.backoffMinMs,
    backoffMaxMs: o.backoffMaxMs ?? d.backoffMaxMs,
    maxInboundConnections: o.maxInboundConnections ?? d.maxInboundConnections,
    maxPendingHellos: o.maxPendingHellos ?? d.maxPendingHellos,
  };
}

function checkTuning(t: TransportTuning): TransportTuning {
  const positive = (name: keyof TransportTuning): void => {
    if (!Number.isSafeInteger(t[name]) || t[name] <= 0) {
      throw new RangeError(`transport option ${name} must be a positive integer`);
    }
  };
  positive('maxFrameBytes');
  positive('maxQueuedBytesPerPeer');
  positive('dialTimeoutMs');
  positive('backoffMinMs');
  positive('backoffMaxMs');
  positive('maxInboundConnections');
  positive('maxPendingHellos');
  if (t.maxFrameBytes > 0xffffffff) throw new RangeError('maxFrameBytes must fit in 32 bits');
  // A largest frame (payload plus length prefix) must fit in an empty queue.
  if (t.maxQueuedBytesPerPeer < t.maxFrameBytes + FRAME_HEADER_BYTES) {
    throw new RangeError('maxQueuedBytesPerPeer must exceed maxFrameBytes');
  }
  if (t.backoffMinMs > t.backoffMaxMs) throw new RangeError('backoffMinMs exceeds backoffMaxMs');
  return t;
}

function checkId(id: string): void {
  if (id.length === 0 || id.length > MAX_NODE_ID_LENGTH) {
    throw new RangeError(`node id must be 1-${String(MAX_NODE_ID_LENGTH)} characters`);
  }
}
