// One accepted connection: a hello frame, then Raft messages from that peer. Anything invalid
// closes just this connection with a warn line; nothing escapes the socket handlers.
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Message } from '../raft/messages.ts';
import { formatHostPort } from './address.ts';
import { decodeHello, decodeInbound } from './codec.ts';
import { FrameDecoder } from './frame-decoder.ts';
import type { AppFrame } from './schema.ts';
import type { TransportCounters } from './stats.ts';
import { WireError } from './wire-error.ts';

export interface InboundContext {
  readonly self: string;
  readonly maxFrameBytes: number;
  /** A connection that has not said hello by then is closed (it only holds a socket). */
  readonly helloTimeoutMs: number;
  readonly logger: Logger;
  readonly counters: TransportCounters;
  readonly onMessage: (m: Message) => void;
  readonly onAppFrame: ((from: string, payload: Uint8Array) => void) | undefined;
  /** The connection said hello as `peer`. */
  readonly onPeer: (peer: string, socket: Socket, addr: string | undefined) => void;
}

export function serveConnection(socket: Socket, ctx: InboundContext): void {
  new InboundConnection(socket, ctx).start();
}

class InboundConnection {
  readonly #s: Socket;
  readonly #ctx: InboundContext;
  readonly #decoder: FrameDecoder;
  readonly #remote: string;
  #peer: string | null = null;
  #helloTimer: NodeJS.Timeout | null = null;

  constructor(socket: Socket, ctx: InboundContext) {
    this.#s = socket;
    this.#ctx = ctx;
    this.#decoder = new FrameDecoder(ctx.maxFrameBytes);
    const host = socket.remoteAddress ?? '?';
    this.#remote = formatHostPort({ host, port: socket.remotePort ?? 0 });
  }

  start(): void {
    const s = this.#s;
    s.setNoDelay(true);
    this.#helloTimer = setTimeout(
      () => this.#reject(new WireError('BAD_HANDSHAKE', 'no hello frame in time')),
      this.#ctx.helloTimeoutMs,
    );
    s.on('data', (chunk: Buffer) => this.#onData(chunk));
    s.on('error', (err) => {
      this.#ctx.logger.debug(
        { remote: this.#remote, peer: this.#peer, err: err.message },
        'inbound error',
      );
    });
    s.once('close', () => this.#clearHelloTimer());
  }

  #onData(chunk: Buffer): void {
    try {
      this.#ctx.counters.bytesReceived += chunk.length;
      const { frames, error } = this.#decoder.push(chunk);
      for (const frame of frames) {
        if (this.#s.destroyed) return;
        this.#onFrame(frame);
      }
      if (error !== null) this.#reject(error);
    } catch (err) {
      // Defensive: decoding does not throw, but a throw here must not reach the event loop.
      this.#ctx.logger.error({ remote: this.#remote, err }, 'inbound handler failed');
      this.#s.destroy();
    }
  }

  #onFrame(frame: Uint8Array): void {
    if (this.#peer === null) {
      this.#onHello(frame);
      return;
    }
    const m = decodeInbound(frame);
    if (m instanceof WireError) {
      this.#reject(m);
    } else if (m.from !== this.#peer) {
      const msg = `message from "${m.from}" on the connection of "${this.#peer}"`;
      this.#reject(new WireError('BAD_HANDSHAKE', msg, 'from'));
    } else if (m.to !== this.#ctx.self) {
      this.#ctx.counters.misaddressed++;
      this.#ctx.logger.debug(
        { remote: this.#remote, to: m.to, type: m.type },
        'message for another node',
      );
    } else {
      this.#ctx.counters.framesReceived++;
      this.#deliver(m);
    }
  }

  #onHello(frame: Uint8Array): void {
    const hello = decodeHello(frame);
    if (hello instanceof WireError) {
      this.#reject(hello);
    } else if (hello.to !== this.#ctx.self) {
      const msg = `peer "${hello.from}" meant to reach "${hello.to}", this is "${this.#ctx.self}"`;
      this.#reject(new WireError('BAD_HANDSHAKE', msg, 'to'));
    } else {
      this.#clearHelloTimer();
      this.#peer = hello.from;
      this.#ctx.logger.debug({ remote: this.#remote, peer: hello.from }, 'peer said hello');
      this.#ctx.onPeer(hello.from, this.#s, hello.addr);
    }
  }

  #deliver(m: Message | AppFrame): void {
    try {
      if (m.type !== 'appFrame') {
        this.#ctx.onMessage(m);
      } else if (this.#ctx.onAppFrame !== undefined) {
        this.#ctx.onAppFrame(m.from, m.payload);
      } else {
        this.#ctx.logger.debug({ peer: m.from }, 'application frame without a receiver');
      }
    } catch (err) {
      // The receiver's bug, not the peer's: keep the connection, but make it loud.
      this.#ctx.logger.error({ remote: this.#remote, type: m.type, err }, 'receiver threw');
    }
  }

  #reject(err: WireError): void {
    this.#ctx.counters.badFrames++;
    this.#ctx.logger.warn(
      {
        remote: this.#remote,
        peer: this.#peer,
        code: err.code,
        field: err.field,
        reason: err.message,
      },
      'closing inbound connection: bad frame',
    );
    this.#clearHelloTimer();
    this.#s.destroy();
  }

  #clearHelloTimer(): void {
    if (this.#helloTimer !== null) clearTimeout(this.#helloTimer);
    this.#helloTimer = null;
  }
}
