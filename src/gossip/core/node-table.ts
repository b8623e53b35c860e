// What this node knows about every member, itself included: a name index plus the list that
// sets the probe order. New members go in at a random position and the list is reshuffled
// after each full probe round, so every node is probed once per round in a random order.
// Members dead (or left) for longer than gossipToTheDeadTime are forgotten at round end.
import { NodeState, type Alive, type GossipAddress, type NodeStateValue } from '../messages.ts';
import { NameIds } from './name-ids.ts';
import { addressFor } from './shared.ts';
import type { Member, MemberState, Random } from './types.ts';

/**
 * One member as this node sees it. Name, address, meta and versions live in `info`, an Alive
 * body shared with every other core that holds the same news (see shared.ts); only the
 * incarnation, state and state-change time are this node's own.
 */
export class NodeEntry {
  /** Name, address, port, meta and versions (its Incarnation is not necessarily ours). */
  info: Alive;
  incarnation: number;
  state: NodeStateValue;
  stateChangeMs: number;

  constructor(info: Alive, incarnation: number, state: NodeStateValue, stateChangeMs: number) {
    this.info = info;
    this.incarnation = incarnation;
    this.state = state;
    this.stateChangeMs = stateChangeMs;
  }

  get name(): string {
    return this.info.Node;
  }

  get addr(): Uint8Array {
    return this.info.Addr;
  }

  get port(): number {
    return this.info.Port;
  }

  get meta(): Uint8Array {
    return this.info.Meta;
  }

  /** [pmin, pmax, pcur, dmin, dmax, dcur]. */
  get vsn(): readonly number[] {
    return this.info.Vsn;
  }
}

const stateNames: readonly MemberState[] = ['alive', 'suspect', 'dead', 'left'];

export function stateName(s: NodeStateValue): MemberState {
  return stateNames[s] ?? 'dead';
}

export function deadOrLeft(n: NodeEntry): boolean {
  return n.state === NodeState.dead || n.state === NodeState.left;
}

export function addressOf(n: NodeEntry): GossipAddress {
  return addressFor(n.addr, n.port);
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
  /** Members by name id (see name-ids.ts). */
  private readonly byId: (NodeEntry | undefined)[] = [];
  private probeIndex = 0;
  private readonly random: Random;
  private readonly names: NameIds;

  /** `names` may be shared with other cores; by default the table has its own. */
  constructor(random: Random, names: NameIds = new NameIds()) {
    this.random = random;
    this.names = names;
  }

  get size(): number {
    return this.list.length;
  }

  get(name: string): NodeEntry | undefined {
    const id = this.names.find(name);
    return id === undefined ? undefined : this.byId[id];
  }

  all(): readonly NodeEntry[] {
    return this.list;
  }

  /** Adds a member at a random position of the probe order (a bound on detection time). */
  add(n: NodeEntry): void {
    const at = this.list.length === 0 ? 0 : this.random.int(this.list.length);
    const id = this.names.retain(n.name);
    // Grown one slot at a time: a sparse write would turn the array into a slow dictionary.
    while (this.byId.length <= id) this.byId.push(undefined);
    this.byId[id] = n;
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

  private forget(name: string): void {
    const id = this.names.find(name);
    if (id === undefined || this.byId[id] === undefined) return;
    this.byId[id] = undefined;
    this.names.release(id);
  }

  private endRound(nowMs: number, reapAfterMs: number): void {
    let kept = 0;
    for (const n of this.list) {
      if (deadOrLeft(n) && nowMs - n.stateChangeMs > reapAfterMs) this.forget(n.name);
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
