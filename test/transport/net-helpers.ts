// Real-socket fixtures on 127.0.0.1: transports wired through a shared address directory, and
// a raw client for writing hand-made bytes to a transport's port.
import { connect, createServer, type Socket } from 'node:net';
import type { Message } from '../../src/raft/messages.ts';
import {
  createTcpTransport,
  type TcpTransport,
  type TransportTuning,
} from '../../src/transport/index.ts';
import { captureLogger, type LogLine } from './helpers.ts';

export const fastTuning: Partial<TransportTuning> = {
  backoffMinMs: 10,
  backoffMaxMs: 100,
  dialTimeoutMs: 1000,
};

export interface TestNode {
  readonly id: string;
  readonly t: TcpTransport;
  readonly port: number;
  readonly received: Message[];
  readonly apps: { readonly from: string; readonly payload: Uint8Array }[];
  /** Peers whose current inbound connection closed (onPeerDisconnected), in order. */
  readonly disconnected: string[];
  readonly lines: LogLine[];
}

/** Starts a transport for `id` on 127.0.0.1 (`port` 0 = any) and registers it in `dir`. */
export async function startNode(
  id: string,
  dir: Map<string, string>,
  tuning: Partial<TransportTuning> = fastTuning,
  port = 0,
): Promise<TestNode> {
  const { logger, lines } = captureLogger();
  const received: Message[] = [];
  const apps: TestNode['apps'][number][] = [];
  const disconnected: string[] = [];
  const t = createTcpTransport(
    { id, listen: { host: '127.0.0.1', port }, peers: (p) => dir.get(p), ...tuning },
    {
      logger,
      onMessage: (m) => received.push(m),
      onAppFrame: (from, payload) => apps.push({ from, payload }),
      onPeerDisconnected: (peer) => disconnected.push(peer),
    },
  );
  const bound = await t.start();
  dir.set(id, `127.0.0.1:${String(bound.port)}`);
  return { id, t, port: bound.port, received, apps, disconnected, lines };
}

export interface RawClient {
  readonly socket: Socket;
  /** Resolves true when the transport closed the connection, false on our own timeout. */
  readonly closed: Promise<boolean>;
}

/** Connects and writes `chunks`; gives up (destroys) after `timeoutMs`. */
export function rawClient(port: number, chunks: Uint8Array[], timeoutMs = 3000): RawClient {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined); // a reset by the server is an expected outcome
  socket.on('connect', () => {
    for (const c of chunks) socket.write(c);
  });
  socket.resume();
  const closed = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, timeoutMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  return { socket, closed };
}

/** Connects, writes `chunks`, and resolves true once the transport closes the socket. */
export function rawSession(port: number, chunks: Uint8Array[], timeoutMs = 3000): Promise<boolean> {
  return rawClient(port, chunks, timeoutMs).closed;
}

/** A frame around an arbitrary payload. */
export function rawFrame(payload: Uint8Array, length = payload.length): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(length);
  return Buffer.concat([header, payload]);
}

/** A port on 127.0.0.1 that nothing listens on (bound once, then released). */
export async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const addr = s.address();
  await new Promise((r) => s.close(r));
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return addr.port;
}

/** A server that accepts connections and never reads them: the kernel buffers fill up. */
export async function stallingServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    s.pause();
    s.on('error', () => undefined);
    sockets.add(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  const close = async (): Promise<void> => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  };
  return { port: addr.port, close };
}
