// Test helper for the Sappers side of process-level interop: runs interop/ts-peer/main.ts (one
// Sappers gossip node in its own Node.js process) with the same options and JSON lines as the
// Go peer, so a test can SIGKILL or SIGTERM it like any other process.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { INTEROP_DIR, PeerProcess, REPO_ROOT, peerFlags, type PeerOptions } from './go.ts';

export const TS_PEER_MAIN = join(INTEROP_DIR, 'ts-peer', 'main.ts');

/** The argv of a ts-peer for `o` (port 0 lets it pick one; the ready line tells which). */
export function tsPeerArgs(o: PeerOptions): string[] {
  return ['--import', 'tsx', TS_PEER_MAIN, ...peerFlags(o)];
}

/** One running interop/ts-peer (a Sappers GossipNode in its own process). */
export class TsPeer extends PeerProcess {
  static async start(o: PeerOptions): Promise<TsPeer> {
    const child = spawn(process.execPath, tsPeerArgs(o), {
      cwd: REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const peer = new TsPeer(child, 'ts-peer', o.name, o.port);
    await peer.started(o.join !== undefined && o.join.length > 0);
    return peer;
  }
}
