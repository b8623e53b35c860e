// The simulated network between gossip nodes: every UDP packet gets a random delay and may be
// lost; TCP exchanges are never lost, but pay a handshake and retransmission timeouts. Nodes can be slow (extra
// delay on all their traffic) and the cluster can be split into groups that cannot reach
// each other (a partition). Pure decisions; the cluster applies them.
import type { Prng } from '../../sim/prng.ts';

export interface NetworkOptions {
  /** One-way delay bounds in ms (uniform). */
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  /** Probability a UDP packet is lost. */
  readonly lossRate: number;
}

/** Linux's initial SYN retransmission timeout and its minimum data RTO. */
const synRtoMs = 1000;
const dataRtoMs = 200;

export const defaultNetworkOptions: NetworkOptions = { minDelayMs: 1, maxDelayMs: 10, lossRate: 0 };

export class SimNetwork {
  lossRate: number;
  private readonly rng: Prng;
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;
  /** Extra one-way delay on everything a node sends or receives. */
  private readonly slowMs = new Map<number, number>();
  /** Partition group per node; absent means group 0. */
  private readonly group = new Map<number, number>();

  constructor(rng: Prng, opts: NetworkOptions) {
    this.rng = rng;
    this.lossRate = opts.lossRate;
    this.minDelayMs = opts.minDelayMs;
    this.maxDelayMs = opts.maxDelayMs;
  }

  setSlow(node: number, extraMs: number): void {
    if (extraMs > 0) this.slowMs.set(node, extraMs);
    else this.slowMs.delete(node);
  }

  /** Puts `nodes` in partition group `g` (0 is everyone else). */
  partition(nodes: readonly number[], g: number): void {
    for (const n of nodes) this.group.set(n, g);
  }

  heal(): void {
    this.group.clear();
  }

  reachable(from: number, to: number): boolean {
    return (this.group.get(from) ?? 0) === (this.group.get(to) ?? 0);
  }

  /** Delivery delay of one UDP packet, or null when it is lost or cut. */
  udpDelay(from: number, to: number): number | null {
    if (!this.reachable(from, to)) return null;
    if (this.lossRate > 0 && this.rng.float() < this.lossRate) return null;
    return this.oneWay(from, to);
  }

  /**
   * Delay of a TCP request over a new connection (SYN, SYN-ACK, data: three one-way trips), or
   * null when cut. TCP loses nothing, but a lost segment costs a retransmission timeout.
   */
  tcpConnectDelay(from: number, to: number): number | null {
    if (!this.reachable(from, to)) return null;
    const syn = this.segment(from, to, synRtoMs) + this.segment(to, from, synRtoMs);
    return syn + this.segment(from, to, dataRtoMs);
  }

  /** Delay of the answer on an open connection, or null when cut. */
  tcpReplyDelay(from: number, to: number): number | null {
    return this.reachable(from, to) ? this.segment(from, to, dataRtoMs) : null;
  }

  /** One segment: its trip plus a doubling timeout for every copy the network drops. */
  private segment(from: number, to: number, firstRtoMs: number): number {
    let wait = 0;
    for (let rto = firstRtoMs; this.lossRate > 0 && this.rng.float() < this.lossRate; rto *= 2) {
      wait += rto;
    }
    return wait + this.oneWay(from, to);
  }

  private oneWay(from: number, to: number): number {
    const span = this.maxDelayMs - this.minDelayMs;
    const base = this.minDelayMs + (span > 0 ? this.rng.int(span + 1) : 0);
    return base + (this.slowMs.get(from) ?? 0) + (this.slowMs.get(to) ?? 0);
  }
}
