// The agent side of bootstrap by gossip: re-decides whenever gossip changes (and on a timer)
// until this agent either bootstraps the cluster or learns it never will. The simulator's agent
// (src/cluster-sim/agent.ts) runs the same gate over the same mapping on its virtual clock.
import type { Logger } from 'pino';
import { BootstrapGate, type BootstrapPeer } from './bootstrap.ts';
import type { GossipPeer, GossipService } from './gossip-service.ts';

/** What bootstrap reads of gossip: every member carrying Sappers metadata. */
export function bootstrapPeersOf(members: readonly GossipPeer[]): BootstrapPeer[] {
  const peers: BootstrapPeer[] = [];
  for (const m of members) {
    if (m.meta === null) continue;
    peers.push({
      id: m.name,
      raftAddr: m.meta.raftAddr,
      alive: m.state === 'alive' || m.state === 'suspect',
      bootstrapExpect: m.meta.bootstrapExpect,
      hasState: m.meta.hasState,
      clusterId: m.meta.clusterId,
      leaderId: m.meta.leaderId,
    });
  }
  return peers;
}

export interface BootstrapWaiterOptions {
  readonly selfId: string;
  readonly expect: number;
  readonly gossip: Pick<GossipService, 'members' | 'subscribe'>;
  readonly logger: Logger;
  /** Another agent already has a cluster (or will create it): stop waiting, take Raft traffic. */
  readonly onNever: () => void;
  /** This agent creates the cluster with these voters. */
  readonly onBootstrap: (voters: readonly { id: string; raftAddr: string }[]) => Promise<void>;
  /** The settle period of BootstrapGate (default defaultBootstrapSettleMs). */
  readonly settleMs?: number;
}

const recheckMs = 250;
const progressLogMs = 10_000;

export class BootstrapWaiter {
  private readonly o: BootstrapWaiterOptions;
  private readonly gate: BootstrapGate;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private done = false;
  private lastReason = '';
  private lastLogMs = 0;

  constructor(o: BootstrapWaiterOptions) {
    this.o = o;
    this.gate = new BootstrapGate(o.settleMs);
  }

  start(): void {
    this.o.logger.info(
      { expect: this.o.expect },
      `waiting for ${this.o.expect} agents in gossip to bootstrap the cluster`,
    );
    this.timer = setInterval(() => this.check(), recheckMs);
    this.unsubscribe = this.o.gossip.subscribe(() => this.check());
    this.check();
  }

  stop(): void {
    this.done = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private check(): void {
    if (this.done) return;
    const d = this.gate.decide(
      {
        selfId: this.o.selfId,
        expect: this.o.expect,
        hasState: false,
        peers: bootstrapPeersOf(this.o.gossip.members()),
      },
      performance.now(),
    );
    if (d.kind === 'wait' || d.kind === 'conflict') {
      const now = Date.now();
      if (d.reason !== this.lastReason || now - this.lastLogMs > progressLogMs) {
        if (d.kind === 'conflict') this.o.logger.error({ reason: d.reason }, 'bootstrap refused');
        else this.o.logger.info({ reason: d.reason }, 'bootstrap: waiting');
        this.lastReason = d.reason;
        this.lastLogMs = now;
      }
      return;
    }
    this.stop();
    if (d.kind === 'never') {
      this.o.logger.info({ reason: d.reason }, 'not bootstrapping: waiting to be added');
      this.o.onNever();
      return;
    }
    this.o.onBootstrap(d.voters).catch((err: unknown) => {
      this.o.logger.error({ err }, 'bootstrap failed');
    });
  }
}
