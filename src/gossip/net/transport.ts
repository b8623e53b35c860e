// The thin network shell of gossip: one UDP socket and one TCP listener on the same port, as
// memberlist's NetTransport. Packets are encoded/decoded by the wire layer (compound, CRC,
// compression, encryption, an optional cluster label); a bad packet is dropped, counted and
// logged at debug level, never fatal. Streams carry one message each way: incoming ones are answered by a handler,
// outgoing ones (push/pull, TCP ping) resolve with the peer's reply.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createConnection, createServer, isIPv6, type Server, type Socket } from 'node:net';
import type { GossipAddress, GossipMessage } from '../messages.ts';
import {
  StreamDecoder,
  UDP_BUFFER_SIZE,
  decodePacket,
  encodeMessage,
  encodeStream,
  encodeStreamOpening,
  packMessages,
  packetRoom,
  validateLabel,
  wrapPacket,
  type WireOptions,
} from '../wire/index.ts';

/** The part of a pino logger the shell uses. */
export interface GossipLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

const silent: GossipLogger = {
  debug: () => undefined,
  warn: () => undefined,
};

export interface TransportOptions {
  /** IP literal to bind both sockets to (loopback in tests). */
  readonly host: string;
  /** Port for both UDP and TCP; 0 picks a port free for both. */
  readonly port: number;
  /** Encryption (keyring, mutable at run time), compression, protocol version, label. */
  readonly wire: WireOptions;
  readonly logger?: GossipLogger | undefined;
  /** Deadline of a whole stream exchange, either direction (memberlist's TCPTimeout). */
  readonly tcpTimeoutMs?: number | undefined;
  /** Largest datagram we build on purpose (memberlist's UDPBufferSize). */
  readonly udpBufferSize?: number | undefined;
  /** Incoming streams handled at once; more are closed (memberlist: 128 push/pulls). */
  readonly maxInboundStreams?: number | undefined;
}

export interface TransportHandlers {
  /** The messages of one decoded datagram (never empty). */
  onPacket(from: GossipAddress, msgs: GossipMessage[]): void;
  /** An incoming stream's message; the reply (or null for none) is written back. */
  onStream(from: GossipAddress, msg: GossipMessage): GossipMessage | null;
}

export interface TransportStats {
  packetsIn: number;
  packetsOut: number;
  /** Datagrams dropped whole (undecryptable, bad CRC, garbage). */
  badPackets: number;
  /** Parts of compound packets dropped (truncated or undecodable). */
  badParts: number;
  sendErrors: number;
  streamsIn: number;
  streamsOut: number;
  badStreams: number;
  rejectedStreams: number;
  /**
   * Packets and inbound streams dropped for their label: a bad label header, or a label (or
   * none) other than ours. Also counted in badPackets / badStreams.
   */
  labelMismatch: number;
}

export interface SendOptions {
  /** Prefix a CRC (the peer speaks protocol >= 5). */
  readonly crc?: boolean;
}

function family(host: string): 'udp4' | 'udp6' {
  return isIPv6(host) ? 'udp6' : 'udp4';
}

export class GossipTransport {
  readonly host: string;
  private portNo: number;
  private readonly wire: WireOptions;
  private readonly log: GossipLogger;
  private readonly tcpTimeoutMs: number;
  private readonly udpBufferSize: number;
  private readonly maxInbound: number;
  private readonly handlers: TransportHandlers;
  private udp: UdpSocket | undefined;
  private tcp: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private inbound = 0;
  private closed = false;
  readonly stats: TransportStats = {
    packetsIn: 0,
    packetsOut: 0,
    badPackets: 0,
    badParts: 0,
    sendErrors: 0,
    streamsIn: 0,
    streamsOut: 0,
    badStreams: 0,
    rejectedStreams: 0,
    labelMismatch: 0,
  };

  private constructor(o: TransportOptions, handlers: TransportHandlers) {
    this.host = o.host;
    this.portNo = o.port;
    this.wire = o.wire;
    this.log = o.logger ?? silent;
    this.tcpTimeoutMs = o.tcpTimeoutMs ?? 10_000;
    this.udpBufferSize = o.udpBufferSize ?? UDP_BUFFER_SIZE;
    this.maxInbound = o.maxInboundStreams ?? 128;
    this.handlers = handlers;
  }

  /** Binds TCP then UDP on the same port (retrying when port 0 gave a port UDP can't have). */
  static async listen(o: TransportOptions, handlers: TransportHandlers): Promise<GossipTransport> {
    const bad = validateLabel(o.wire.label, 'gossip label');
    if (bad !== undefined) throw bad;
    const t = new GossipTransport(o, handlers);
    for (let attempt = 0; ; attempt++) {
      try {
        await t.bind(o.port);
        return t;
      } catch (e) {
        await t.unbind();
        if (o.port !== 0 || attempt >= 20) throw e;
      }
    }
  }

  get port(): number {
    return this.portNo;
  }

  get address(): GossipAddress {
    return { host: this.host, port: this.portNo };
  }

  private async bind(port: number): Promise<void> {
    const tcp = createServer({ allowHalfOpen: true }, (s) => {
      this.accept(s);
    });
    this.tcp = tcp;
    await new Promise<void>((res, rej) => {
      tcp.once('error', rej);
      tcp.listen({ host: this.host, port, exclusive: true }, () => {
        tcp.off('error', rej);
        res();
      });
    });
    const a = tcp.address();
    const bound = typeof a === 'object' && a !== null ? a.port : port;
    tcp.on('error', (e) => {
      this.log.warn({ err: e.message }, 'gossip tcp listener error');
    });
    const udp = createSocket({ type: family(this.host), reuseAddr: false });
    this.udp = udp;
    await new Promise<void>((res, rej) => {
      udp.once('error', rej);
      udp.bind({ address: this.host, port: bound, exclusive: true }, () => {
        udp.off('error', rej);
        res();
      });
    });
    udp.on('error', (e) => {
      this.log.warn({ err: e.message }, 'gossip udp socket error');
    });
    udp.on('message', (buf, rinfo) => {
      this.receivePacket(buf, { host: rinfo.address, port: rinfo.port });
    });
    this.portNo = bound;
  }

  private async unbind(): Promise<void> {
    const udp = this.udp;
    const tcp = this.tcp;
    this.udp = undefined;
    this.tcp = undefined;
    if (udp !== undefined) {
      await new Promise<void>((res) => {
        try {
          udp.close(() => {
            res();
          });
        } catch {
          res();
        }
      });
    }
    if (tcp !== undefined) {
      await new Promise<void>((res) => {
        tcp.close(() => {
          res();
        });
      });
    }
  }

  // ---- packets ----

  private receivePacket(buf: Buffer, from: GossipAddress): void {
    this.stats.packetsIn++;
    const r = decodePacket(new Uint8Array(buf.buffer, buf.byteOffset, buf.length), this.wire);
    if (r.messages.length === 0) {
      this.stats.badPackets++;
      const e = r.errors[0];
      if (e?.code === 'label') this.stats.labelMismatch++;
      this.log.debug(
        {
          from: `${from.host}:${String(from.port)}`,
          code: e?.code,
          err: e?.message,
          size: buf.length,
        },
        'gossip: dropped a bad packet',
      );
      return;
    }
    if (r.errors.length > 0 || r.truncated > 0) {
      this.stats.badParts += r.errors.length + r.truncated;
      this.log.debug(
        {
          from: `${from.host}:${String(from.port)}`,
          errors: r.errors.map((e) => e.message),
          truncated: r.truncated,
        },
        'gossip: dropped parts of a compound packet',
      );
    }
    try {
      this.handlers.onPacket(from, r.messages);
    } catch (e) {
      this.log.warn(
        { err: e instanceof Error ? e.message : String(e) },
        'gossip: packet handler failed',
      );
    }
  }

  /** Encodes `msgs` into as few datagrams as fit the UDP budget and sends them. */
  send(to: GossipAddress, msgs: readonly GossipMessage[], o: SendOptions = {}): void {
    if (msgs.length === 0) return;
    const po = { ...this.wire, crc: o.crc === true };
    let bodies: Uint8Array[];
    try {
      bodies = packMessages(msgs.map(encodeMessage), packetRoom(po, this.udpBufferSize));
    } catch (e) {
      this.stats.sendErrors++;
      this.log.warn(
        { err: e instanceof Error ? e.message : String(e) },
        'gossip: cannot encode a message',
      );
      return;
    }
    for (const body of bodies) this.sendRaw(to, wrapPacket(body, po));
  }

  /** Sends one datagram as is. */
  sendRaw(to: GossipAddress, datagram: Uint8Array): void {
    const udp = this.udp;
    if (udp === undefined || this.closed) return;
    this.stats.packetsOut++;
    udp.send(datagram, to.port, to.host, (err) => {
      if (err) {
        this.stats.sendErrors++;
        this.log.debug(
          { to: `${to.host}:${String(to.port)}`, err: err.message },
          'gossip: udp send failed',
        );
      }
    });
  }

  // ---- streams ----

  private accept(s: Socket): void {
    if (this.closed || this.inbound >= this.maxInbound) {
      this.stats.rejectedStreams++;
      s.destroy();
      return;
    }
    this.inbound++;
    this.stats.streamsIn++;
    this.sockets.add(s);
    const from: GossipAddress = { host: s.remoteAddress ?? '', port: s.remotePort ?? 0 };
    const dec = new StreamDecoder(this.wire, { inbound: true });
    let done = false;
    const timer = setTimeout(() => {
      s.destroy();
    }, this.tcpTimeoutMs);
    s.once('close', () => {
      clearTimeout(timer);
      this.sockets.delete(s);
      this.inbound--;
    });
    s.on('error', () => undefined);
    const settle = (): void => {
      const st = dec.result;
      if (st.state === 'incomplete' || done) return;
      done = true;
      if (st.state === 'error') {
        this.stats.badStreams++;
        if (st.error.code === 'label') this.stats.labelMismatch++;
        this.log.debug(
          { from: `${from.host}:${String(from.port)}`, code: st.error.code, err: st.error.message },
          'gossip: bad stream',
        );
        // memberlist answers a failed read with an errResp, except at a clean EOF or when it
        // discards the stream for its label.
        if (dec.received > 0 && st.error.code !== 'label')
          this.writeAndEnd(s, { type: 'err', body: { Error: st.error.message } });
        else s.end();
        return;
      }
      let reply: GossipMessage | null = null;
      try {
        reply = this.handlers.onStream(from, st.message);
      } catch (e) {
        this.log.warn(
          { err: e instanceof Error ? e.message : String(e) },
          'gossip: stream handler failed',
        );
      }
      if (reply === null) s.end();
      else this.writeAndEnd(s, reply);
    };
    s.on('data', (chunk: Buffer) => {
      dec.push(chunk);
      settle();
    });
    s.on('end', () => {
      dec.end();
      settle();
      if (!done) s.end();
    });
  }

  private writeAndEnd(s: Socket, msg: GossipMessage): void {
    try {
      s.end(encodeStream(msg, this.wire));
    } catch (e) {
      this.log.warn(
        { err: e instanceof Error ? e.message : String(e) },
        'gossip: cannot encode a stream reply',
      );
      s.destroy();
    }
  }

  /**
   * Opens a stream to `to`, sends `msg` and resolves with the peer's one reply (an errResp
   * reply is a rejection). Rejects on connect failure, timeout or a bad reply.
   */
  request(
    to: GossipAddress,
    msg: GossipMessage,
    timeoutMs = this.tcpTimeoutMs,
  ): Promise<GossipMessage> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new Error('gossip transport closed'));
        return;
      }
      this.stats.streamsOut++;
      let payload: Uint8Array;
      try {
        payload = encodeStreamOpening(msg, this.wire);
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      const s = createConnection({ host: to.host, port: to.port, allowHalfOpen: true });
      this.sockets.add(s);
      const dec = new StreamDecoder(this.wire);
      let finished = false;
      const finish = (r: GossipMessage | Error): void => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        this.sockets.delete(s);
        s.destroy();
        if (r instanceof Error) {
          reject(r);
        } else if (r.type === 'err') {
          reject(new Error(`remote error: ${r.body.Error}`));
        } else resolve(r);
      };
      const timer = setTimeout(() => {
        finish(new Error(`gossip stream to ${to.host}:${String(to.port)} timed out`));
      }, timeoutMs);
      const check = (): void => {
        const st = dec.result;
        if (st.state === 'done') finish(st.message);
        else if (st.state === 'error') {
          this.stats.badStreams++;
          finish(st.error);
        }
      };
      s.on('connect', () => {
        s.write(payload);
      });
      s.on('data', (chunk: Buffer) => {
        dec.push(chunk);
        check();
      });
      s.on('end', () => {
        dec.end();
        check();
      });
      s.on('error', (e) => {
        finish(e);
      });
      s.on('close', () => {
        dec.end();
        check();
        finish(new Error('gossip stream closed without a reply'));
      });
    });
  }

  /** Closes both sockets and every open stream. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await this.unbind();
  }
}
