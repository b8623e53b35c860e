// The one outgoing connection to one peer. Frames wait in a bounded queue and are written
// pipelined (no waiting for replies: answers come back on the peer's own connection to us).
// The link dials lazily, redials with bounded backoff, and never throws to its caller.
import { connect, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { parseHostPort, type HostPort } from './address.ts';
import { backoffDelay, type BackoffPolicy } from './backoff.ts';
import { encodeHello } from './codec.ts';
import { FrameQueue } from './frame-queue.ts';
import type { PeerStatus, TransportCounters } from './stats.ts';

export interface LinkConfig {
  readonly self: string;
  /** This node's advertised address, announced in the hello. */
  readonly advertise: string | undefined;
  readonly peer: string;
  readonly maxQueuedBytes: number;
  readonly dialTimeoutMs: number;
  readonly backoff: BackoffPolicy;
  /** Looked up at every dial, so address changes take effect on the next connection. */
  readonly resolve: () => string | undefined;
  readonly logger: Logger;
  readonly counters: TransportCounters;
}

type State = 'idle' | 'dialing' | 'connected' | 'waiting' | 'closed';

export class PeerLink {
  readonly #c: LinkConfig;
  readonly #queue: FrameQueue;
  #state: State = 'idle';
  #socket: Socket | null = null;
  #timer: NodeJS.Timeout | null = null;
  #attempt = 0;
  #connects = 0;
  #connectedAt = 0;
  #closed: Promise<void> = Promise.resolve();

  constructor(config: LinkConfig) {
    this.#c = config;
    this.#queue = new FrameQueue(config.maxQueuedBytes);
  }

  /** Queues one encoded frame; call flush() after a batch. */
  enqueue(frame: Buffer): void {
    if (this.#state === 'closed') {
      this.#c.counters.dropped++;
      return;
    }
    this.#c.counters.dropped += this.#queue.push(frame);
    if (this.#state === 'idle') this.#dial();
  }

  /** Writes queued frames until the socket asks us to wait for 'drain'. */
  flush(): void {
    const s = this.#socket;
    if (this.#state !== 'connected' || s === null || s.writableNeedDrain) return;
    if (this.#queue.length === 0) return;
    // Corked writes leave as one writev: many small Raft messages cost one syscall.
    this.#c.counters.socketWrites++;
    s.cork();
    for (let f = this.#queue.shift(); f !== undefined; f = this.#queue.shift()) {
      this.#c.counters.framesSent++;
      this.#c.counters.bytesSent += f.length;
      if (!s.write(f)) break;
    }
    s.uncork();
  }

  /** The peer's address changed: drop the current connection and dial the new one soon. */
  redial(): void {
    this.#attempt = 0;
    if (this.#socket !== null) {
      this.#socket.destroy(); // 'close' schedules the next dial
    } else if (this.#state === 'waiting') {
      this.#clearTimer();
      this.#dial();
    }
  }

  /**
   * The peer just proved it is up (it connected to us): a link waiting out its backoff dials
   * now, with the backoff reset. A link that is connected or dialing is left alone.
   */
  peerIsUp(): void {
    if (this.#state !== 'waiting') return;
    this.#attempt = 0;
    this.#clearTimer();
    this.#dial();
  }

  /** Closes the connection for good and discards queued frames. */
  close(): Promise<void> {
    if (this.#state === 'closed') return this.#closed;
    this.#state = 'closed';
    this.#clearTimer();
    this.#c.counters.dropped += this.#queue.clear();
    this.#socket?.destroy();
    return this.#closed;
  }

  status(): PeerStatus {
    return {
      connected: this.#state === 'connected',
      queuedFrames: this.#queue.length,
      queuedBytes: this.#queue.bytes,
    };
  }

  #dial(): void {
    const addr = this.#address();
    if (addr === null) {
      this.#failed('no usable address');
      return;
    }
    let s: Socket;
    try {
      s = connect({ host: addr.host === '' ? 'localhost' : addr.host, port: addr.port });
    } catch (err) {
      this.#failed(`connect threw: ${String(err)}`); // defensive: parseHostPort checked the port
      return;
    }
    this.#state = 'dialing';
    this.#socket = s;
    this.#closed = new Promise((resolve) => s.once('close', () => resolve()));
    s.setNoDelay(true);
    this.#timer = setTimeout(() => s.destroy(new Error('dial timeout')), this.#c.dialTimeoutMs);
    s.once('connect', () => this.#onConnect(s));
    s.on('drain', () => this.flush());
    s.on('error', (err) => this.#onError(err));
    s.once('close', () => this.#onClose());
    // The peer never sends on this connection; reading lets us notice its FIN promptly.
    s.resume();
  }

  #address(): HostPort | null {
    const text = this.#c.resolve();
    if (text === undefined) return null;
    const addr = parseHostPort(text);
    if (addr instanceof Error) {
      this.#c.logger.warn({ peer: this.#c.peer, err: addr.message }, 'bad peer address');
      return null;
    }
    return addr;
  }

  #onConnect(s: Socket): void {
    this.#clearTimer();
    if (this.#connects++ > 0) this.#c.counters.reconnects++;
    this.#state = 'connected';
    this.#connectedAt = Date.now();
    this.#c.logger.info({ peer: this.#c.peer, remote: s.remoteAddress }, 'connected to peer');
    s.write(encodeHello(this.#c.self, this.#c.peer, this.#c.advertise));
    this.flush();
  }

  #onError(err: Error): void {
    // A lost connection is routine (peer restarting); repeated dial failures only at debug.
    const level = this.#state === 'connected' || this.#attempt === 0 ? 'warn' : 'debug';
    this.#c.logger[level]({ peer: this.#c.peer, err: err.message }, 'peer connection error');
  }

  #onClose(): void {
    this.#clearTimer();
    this.#socket = null;
    if (this.#state === 'closed') return;
    if (this.#state === 'connected') {
      // Only a connection that stayed up a while resets the backoff, so a peer that accepts
      // and immediately hangs up (wrong version, wrong node) is not redialed in a tight loop.
      if (Date.now() - this.#connectedAt >= this.#c.backoff.maxMs) this.#attempt = 0;
      this.#c.logger.info({ peer: this.#c.peer }, 'peer connection closed');
      this.#schedule();
    } else {
      this.#failed('dial failed');
    }
  }

  #failed(reason: string): void {
    this.#c.counters.dialFailures++;
    this.#c.logger.debug({ peer: this.#c.peer, attempt: this.#attempt, reason }, 'dial failed');
    this.#schedule();
  }

  #schedule(): void {
    const delay = backoffDelay(this.#c.backoff, this.#attempt++);
    this.#state = 'waiting';
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#dial();
    }, delay);
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
