// What this node knows about every member, itself included: a name index plus the list that
// sets the probe order. New members go in at a random position and the list is reshuffled
// after each full probe round, so every node is probed once per round in a random order.
// Members dead (or left) for longer than gossipToTheDeadTime are forgotten at round end.
//
// A member is a slot number: its name id (name-ids.ts; shared by the cores of a simulator, the
// ids stay dense). Its state lives in flat typed arrays indexed by slot rather than in one
// object per member: a simulator holds N tables of N members, and an object per (node, member)
// pair costs several times the ~25 bytes a slot does. The table holds the member's name id
// while it knows the member and releases it when the member is forgotten.
import { NodeState, type Alive, type GossipAddress, type NodeStateValue } from '../messages.ts';
import { NameIds } from './name-ids.ts';
import { addressFor } from './shared.ts';
import type { Member, MemberState, Random } from './types.ts';

const stateNames: readonly MemberState[] = ['alive', 'suspect', 'dead', 'left'];

export function stateName(s: NodeStateValue): MemberState {
  return stateNames[s] ?? 'dead';
}

/** No such member. */
export const noSlot = -1;

/** Capacity after growing from `n` (by half: the arrays are per node and N nodes hold them). */
const grown = (n: number, need: number): number => Math.max(need, 16, n + (n >> 1));

function growI32(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

export class NodeTable {
  /**
   * Name, address, port, meta and versions per slot: an Alive body shared with every other
   * core that holds the same news (see shared.ts); its Incarnation is not necessarily ours.
   * Undefined for a slot that is not a member.
   */
  private readonly infos: (Alive | undefined)[] = [];
  /** Doubles, not Uint32: the core keeps whatever number the news carried. */
  private incarnations = new Float64Array(0);
  private states = new Uint8Array(0);
  private changeMs = new Float64Array(0);
  /** Slots in probe order; the first `count` are members. */
  private order = new Int32Array(0);
  private count = 0;
  private probeIndex = 0;
  private readonly random: Random;
  private readonly names: NameIds;

  /** `names` may be shared with other cores; by default the table has its own. */
  constructor(random: Random, names: NameIds = new NameIds()) {
    this.random = random;
    this.names = names;
  }

  get size(): number {
    return this.count;
  }

  /** The slot of member `name`, or noSlot. */
  slotOf(name: string): number {
    const id = this.names.find(name);
    return id === undefined || this.infos[id] === undefined ? noSlot : id;
  }

  /** The slot at position `i` (< size) of the probe order. */
  slotAt(i: number): number {
    return this.order[i] ?? noSlot;
  }

  info(s: number): Alive {
    const a = this.infos[s];
    if (a === undefined) throw new RangeError(`node table: no member in slot ${s}`);
    return a;
  }

  name(s: number): string {
    return this.info(s).Node;
  }

  incarnation(s: number): number {
    return this.incarnations[s] ?? 0;
  }

  state(s: number): NodeStateValue {
    return (this.states[s] ?? NodeState.dead) as NodeStateValue;
  }

  stateChangeMs(s: number): number {
    return this.changeMs[s] ?? 0;
  }

  deadOrLeft(s: number): boolean {
    const st = this.states[s];
    return st === NodeState.dead || st === NodeState.left;
  }

  setInfo(s: number, info: Alive): void {
    this.infos[s] = info;
  }

  setIncarnation(s: number, incarnation: number): void {
    this.incarnations[s] = incarnation;
  }

  /** Sets the state and the time it changed. */
  setState(s: number, state: NodeStateValue, nowMs: number): void {
    this.states[s] = state;
    this.changeMs[s] = nowMs;
  }

  addressOf(s: number): GossipAddress {
    const a = this.info(s);
    return addressFor(a.Addr, a.Port);
  }

  toMember(s: number): Member {
    const a = this.info(s);
    return {
      name: a.Node,
      addr: addressFor(a.Addr, a.Port),
      meta: a.Meta,
      incarnation: this.incarnation(s),
      state: stateName(this.state(s)),
      stateChangeMs: this.stateChangeMs(s),
    };
  }

  /**
   * Adds a member (not yet known) at a random position of the probe order (a bound on
   * detection time); its slot.
   */
  add(info: Alive, incarnation: number, state: NodeStateValue, nowMs: number): number {
    const at = this.count === 0 ? 0 : this.random.int(this.count);
    const s = this.names.retain(info.Node);
    this.reserve(s);
    this.infos[s] = info;
    this.incarnations[s] = incarnation;
    this.setState(s, state, nowMs);
    if (this.count >= this.order.length) {
      this.order = growI32(this.order, grown(this.order.length, this.count + 1));
    }
    const displaced = at < this.count ? (this.order[at] ?? s) : s;
    this.order[this.count++] = displaced;
    this.order[at] = s;
    return s;
  }

  /**
   * The next member to probe in round-robin order, skipping `self` and the dead; noSlot after
   * one full pass (plus the wrap-around) finds none. Wrapping around reaps the long dead and
   * reshuffles.
   */
  nextProbeTarget(self: string, nowMs: number, reapAfterMs: number): number {
    for (let checked = 0; checked <= this.count; checked++) {
      if (this.probeIndex >= this.count) {
        this.endRound(nowMs, reapAfterMs);
        this.probeIndex = 0;
        continue;
      }
      const s = this.order[this.probeIndex++] ?? noSlot;
      if (s !== noSlot && this.name(s) !== self && !this.deadOrLeft(s)) return s;
    }
    return noSlot;
  }

  /** Up to k distinct random members for which `skip` is false (memberlist's kRandomNodes). */
  kRandom(k: number, skip: (s: number) => boolean): number[] {
    const out: number[] = [];
    const n = this.count;
    for (let tries = 0; tries < 3 * n && out.length < k; tries++) {
      const cand = this.order[this.random.int(n)] ?? noSlot;
      if (cand === noSlot || skip(cand) || out.includes(cand)) continue;
      out.push(cand);
    }
    return out;
  }

  /** Makes room for slot `s`. */
  private reserve(s: number): void {
    // Grown one slot at a time: a sparse write would turn the array into a slow dictionary.
    while (this.infos.length <= s) this.infos.push(undefined);
    if (s < this.incarnations.length) return;
    const cap = grown(this.incarnations.length, s + 1);
    const incarnations = new Float64Array(cap);
    incarnations.set(this.incarnations);
    this.incarnations = incarnations;
    const states = new Uint8Array(cap);
    states.set(this.states);
    this.states = states;
    const changeMs = new Float64Array(cap);
    changeMs.set(this.changeMs);
    this.changeMs = changeMs;
  }

  private forget(s: number): void {
    this.infos[s] = undefined;
    this.names.release(s);
  }

  private endRound(nowMs: number, reapAfterMs: number): void {
    const { order } = this;
    let kept = 0;
    for (let i = 0; i < this.count; i++) {
      const s = order[i] ?? noSlot;
      if (this.deadOrLeft(s) && nowMs - this.stateChangeMs(s) > reapAfterMs) this.forget(s);
      else order[kept++] = s;
    }
    this.count = kept;
    for (let i = kept - 1; i > 0; i--) {
      const j = this.random.int(i + 1);
      const a = order[i] ?? noSlot;
      order[i] = order[j] ?? noSlot;
      order[j] = a;
    }
  }
}
