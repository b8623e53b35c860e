// A small kit for driving gossip cores by hand (unit tests, examples): addresses, message
// builders, and a loop that routes packets and streams between cores with no loss or delay.
import type { GossipAddress, GossipMessage } from '../messages.ts';
import { defaultLANConfig, type GossipConfig } from '../core/config.ts';
import { GossipCore } from '../core/core.ts';
import { hostToBytes } from '../core/addr.ts';
import type { Drained, OutPacket } from '../core/types.ts';
import { Prng } from '../../sim/prng.ts';

export const gossipPort = 7946;

/** 10.x.y.z for node index i (i < 2^24). */
export function simHost(i: number): string {
  return `10.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff}`;
}

export function simAddr(i: number): GossipAddress {
  return { host: simHost(i), port: gossipPort };
}

export function nodeName(i: number): string {
  return `n${i}`;
}

export const protocolVsn: readonly number[] = [1, 5, 2, 0, 0, 0];

export type AliveMessage = Extract<GossipMessage, { type: 'alive' }>;

export function aliveOf(i: number, incarnation: number, meta = new Uint8Array(0)): AliveMessage {
  const addr = hostToBytes(simHost(i)) ?? new Uint8Array(4);
  return {
    type: 'alive',
    body: {
      Incarnation: incarnation,
      Node: nodeName(i),
      Addr: addr,
      Port: gossipPort,
      Meta: meta,
      Vsn: protocolVsn,
    },
  };
}

export function makeCore(
  i: number,
  config: Partial<GossipConfig> = {},
  seed = 1,
  nowMs = 0,
): GossipCore {
  return new GossipCore({
    name: nodeName(i),
    addr: simAddr(i),
    meta: new Uint8Array(0),
    config: { ...defaultLANConfig, ...config },
    random: new Prng(seed * 7919 + i),
    nowMs,
  });
}

/** Messages of `type` across the packets (for assertions). */
export function msgsOf<T extends GossipMessage['type']>(
  packets: readonly OutPacket[],
  type: T,
): Extract<GossipMessage, { type: T }>[] {
  const out: Extract<GossipMessage, { type: T }>[] = [];
  for (const p of packets) {
    for (const m of p.msgs) if (m.type === type) out.push(m as Extract<GossipMessage, { type: T }>);
  }
  return out;
}

/**
 * Cores wired together with instant, lossless delivery. `down` nodes neither receive nor
 * answer. Every drained output is also kept in `log` for assertions.
 */
export class Wiring {
  readonly cores: GossipCore[];
  readonly down = new Set<number>();
  log: Drained[] = [];
  now = 0;

  constructor(cores: GossipCore[]) {
    this.cores = cores;
  }

  indexOf(a: GossipAddress): number {
    return this.cores.findIndex((_, i) => simHost(i) === a.host && a.port === gossipPort);
  }

  /** Delivers everything every core has to say until all are quiet. */
  flush(): void {
    for (let busy = true; busy;) {
      busy = false;
      for (let i = 0; i < this.cores.length; i++) {
        const core = this.cores[i];
        if (core === undefined || this.down.has(i)) continue;
        const d = core.drain();
        this.log.push(d);
        if (d.packets.length + d.streams.length > 0) busy = true;
        this.route(i, d);
      }
    }
  }

  /** Advances every live core's clock to `t`, delivering outputs as they appear. */
  advanceTo(t: number): void {
    for (;;) {
      let next = t;
      for (let i = 0; i < this.cores.length; i++) {
        if (!this.down.has(i)) next = Math.min(next, this.cores[i]?.nextTickAt() ?? t);
      }
      this.now = Math.max(this.now, next);
      for (let i = 0; i < this.cores.length; i++) {
        if (!this.down.has(i)) this.cores[i]?.tick(this.now);
      }
      this.flush();
      if (next >= t) return;
    }
  }

  private route(from: number, d: Drained): void {
    for (const p of d.packets) {
      const to = this.indexOf(p.to);
      const core = this.cores[to];
      if (core === undefined || this.down.has(to)) continue;
      core.tick(this.now);
      core.receivePacket(simAddr(from), p.msgs);
    }
    for (const s of d.streams) {
      const to = this.indexOf(s.to);
      const peer = this.cores[to];
      const reply =
        peer === undefined || this.down.has(to) ? null : peer.handleStream(simAddr(from), s.msg);
      this.cores[from]?.streamResult(s.id, reply ?? new Error('connection refused'));
    }
  }
}
