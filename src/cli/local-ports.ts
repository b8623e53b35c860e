// Before `sappers local` starts anything: is every port its agents will listen on free? The
// agents bind Raft and HTTP on all interfaces (":PORT") and gossip on TCP and UDP, so a port is
// free only when each of those binds succeeds.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import type { NodePlan } from './local-plan.ts';

export interface BusyPort {
  readonly node: string;
  readonly port: number;
  /** Which of the agent's listeners wants it: "gossip", "raft" or "http". */
  readonly use: string;
  readonly code: string;
}

/** Resolves to the error code of a failed bind, or null when the bind succeeded. */
function tcpBindError(port: number, host: string): Promise<string | null> {
  return new Promise((r) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => r(err.code ?? 'EBIND'));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => r(null)));
  });
}

function udpBindError(port: number): Promise<string | null> {
  return new Promise((r) => {
    const sock = createSocket('udp4');
    sock.once('error', (err: NodeJS.ErrnoException) => {
      sock.close();
      r(err.code ?? 'EBIND');
    });
    sock.bind({ port, address: '0.0.0.0', exclusive: true }, () => sock.close(() => r(null)));
  });
}

/** Codes meaning "this address family is not available here", not "taken". */
const familyMissing = new Set(['EAFNOSUPPORT', 'EADDRNOTAVAIL']);

async function portError(port: number, udp: boolean): Promise<string | null> {
  for (const host of ['0.0.0.0', '::', '127.0.0.1']) {
    const code = await tcpBindError(port, host);
    if (code !== null && !familyMissing.has(code)) return code;
  }
  return udp ? udpBindError(port) : null;
}

/** The first port of the plan that cannot be bound, or null when all can. */
export async function findBusyPort(plans: readonly NodePlan[]): Promise<BusyPort | null> {
  for (const p of plans) {
    const wanted: [string, number, boolean][] = [
      ['gossip', p.gossipPort, true],
      ['raft', p.raftPort, false],
      ['http', p.httpPort, false],
    ];
    for (const [use, port, udp] of wanted) {
      const code = await portError(port, udp);
      if (code !== null) return { node: p.id, port, use, code };
    }
  }
  return null;
}
