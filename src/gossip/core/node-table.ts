// What this node knows about every member, itself included: a name index plus the list that
// sets the probe order. New members go in at a random position and the list is reshuffled
// after each full probe round, so every node is probed once per round in a random order.
// Members dead (or left) for longer than gossipToTheDeadTime are forgotten at round end.
import { NodeState, type GossipAddress, type NodeStateValue } from '../messages.ts';
import { bytesToHost } from './addr.ts';
import type { Member, MemberState, Random } from './types.ts';

export interface NodeEntry {
  readonly name: string;
  addr: Uint8Array;
  port: number;
  meta: Uint8Array;
  /** [pmin, pmax, pcur, dmin, dmax, dcur]. */
  vsn: readonly number[];
  incarnation: number;
  state: NodeStateValue;
  stateChangeMs: number;
  /** addr and port as GossipAddress, computed on first use. */
  address: GossipAddress | null;
}

const stateNames: readonly MemberState[] = ['alive', 'suspect', 'dead', 'left'];

export function stateName(s: NodeStateValue): MemberState {
  return stateNames[s] ?? 'dead';
}

export function deadOrLeft(n: NodeEntry): boolean {
  return n.state === NodeState.dead || n.state === NodeState.left;
}

export function addressOf(n: NodeEntry): GossipAddress {
  n.address ??= { host: bytesToHost(n.addr) ?? '', port: n.port };
  return n.address;
}

export function toMember(n: NodeEntry): Member {
  return {
    name: n.name,
    addr: addressOf(n),
    meta: n.meta,
    incarnation: n.incarnation,
    state: stateName(n.state),
    stateChangeMs: n.stateChangeMs,
  };
}

export class NodeTable {
  private readonly list: NodeEntry[] = [];
  private readonly byName = new Map<string, NodeEntry>();
  private probeIndex = 0;
  private readonly random: Random;

  constructor(random: Random) {
    this.random = random;
  }

  get size(): number {
    return this.list.length;
  }

  get(name: string): NodeEntry | undefined {
    return this.byName.get(name);
  }

  all(): readonly NodeEntry[] {
    return this.list;
  }

  /** Adds a member at a random position of the probe order (a bound on detection time). */
  add(n: NodeEntry): void {
    const at = this.list.length === 0 ? 0 : this.random.int(this.list.length);
    this.byName.set(n.name, n);
    const displaced = this.list[at];
    this.list.push(n);
    if (displaced !== undefined) {
      this.list[at] = n;
      this.list[this.list.length - 1] = displaced;
    }
  }

  /**
   * The next member to probe in round-robin order, skipping `self` and the dead; null after
   * one full pass (plus the wrap-around) finds none. Wrapping around reaps the long dead and
   * reshuffles.
   */
  nextProbeTarget(self: string, nowMs: number, reapAfterMs: number): NodeEntry | null {
    for (let checked = 0; checked <= this.list.length; checked++) {
      if (this.probeIndex >= this.list.length) {
        this.endRound(nowMs, reapAfterMs);
        this.probeIndex = 0;
        continue;
      }
      const n = this.list[this.probeIndex++];
      if (n !== undefined && n.name !== self && !deadOrLeft(n)) return n;
    }
    return null;
  }

  /** Up to k distinct random members for which `skip` is false (memberlist's kRandomNodes). */
  kRandom(k: number, skip: (n: NodeEntry) => boolean): NodeEntry[] {
    const out: NodeEntry[] = [];
    const n = this.list.length;
    for (let tries = 0; tries < 3 * n && out.length < k; tries++) {
      const cand = this.list[this.random.int(n)];
      if (cand === undefined || skip(cand) || out.includes(cand)) continue;
      out.push(cand);
    }
    return out;
  }

  private endRound(nowMs: number, reapAfterMs: number): void {
    let kept = 0;
    for (const n of this.list) {
      if (deadOrLeft(n) && nowMs - n.stateChangeMs > reapAfterMs) this.byName.delete(n.name);
      else this.list[kept++] = n;
    }
    this.list.length = kept;
    for (let i = this.list.length - 1; i > 0; i--) {
      const j = this.random.int(i + 1);
      const a = this.list[i];
      const b = this.list[j];
      if (a === undefined || b === undefined) continue;
      this.list[i] = b;
      this.list[j] = a;
    }
  }
}
