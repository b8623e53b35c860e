// Which operations real time allows to be linearized next. An operation may come next only if
// it was called before the earliest return of a required operation not yet linearized.
//
// Required operations live in a doubly linked list of call and return points, in history
// order, so that linearizing one (removing its points) and backtracking (putting them back, in
// reverse order) are both O(1). Optional operations have no return point and stay available
// from their call on, so they are kept apart in call order and only consulted when needed.

const HEAD = 0;

/** Node 0 is the head; required operation i has call node 2i+1 and return node 2i+2. */
const callNode = (op: number): number => 2 * op + 1;
const returnNode = (op: number): number => 2 * op + 2;
const opOf = (node: number): number => (node - 1) >> 1;
const isReturn = (node: number): boolean => node !== HEAD && node % 2 === 0;

export interface TimelinePoint {
  readonly call: number;
  readonly ret: number;
  readonly optional: boolean;
}

export interface Frontier {
  /** Required operations that may be linearized next. */
  readonly candidates: number[];
  /** The required operation with the earliest pending return, if any. */
  readonly blocker: number | undefined;
  /** That return's position: operations called later must wait. */
  readonly bound: number;
}

function at(links: Int32Array, node: number): number {
  const x = links[node];
  if (x === undefined) throw new RangeError(`timeline node ${node} out of range`);
  return x;
}

export class Timeline {
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly points: readonly TimelinePoint[];

  constructor(points: readonly TimelinePoint[]) {
    this.points = points;
    this.next = new Int32Array(2 * points.length + 1);
    this.prev = new Int32Array(2 * points.length + 1);
    const positioned: [number, number][] = [];
    points.forEach((p, op) => {
      if (p.optional) return;
      positioned.push([p.call, callNode(op)], [p.ret, returnNode(op)]);
    });
    positioned.sort((a, b) => a[0] - b[0]);
    let last = HEAD;
    for (const [, node] of positioned) {
      this.link(last, node);
      last = node;
    }
    this.link(last, HEAD);
  }

  /** Takes a linearized required operation's points out. */
  remove(op: number): void {
    this.unlink(callNode(op));
    this.unlink(returnNode(op));
  }

  /** Undoes the most recent `remove` that has not been undone yet; it must be for `op`. */
  restore(op: number): void {
    this.relink(returnNode(op));
    this.relink(callNode(op));
  }

  frontier(): Frontier {
    const candidates: number[] = [];
    let node = at(this.next, HEAD);
    while (node !== HEAD && !isReturn(node)) {
      candidates.push(opOf(node));
      node = at(this.next, node);
    }
    if (node === HEAD) return { candidates, blocker: undefined, bound: Infinity };
    const blocker = opOf(node);
    return { candidates, blocker, bound: this.points[blocker]?.ret ?? Infinity };
  }

  private link(a: number, b: number): void {
    this.next[a] = b;
    this.prev[b] = a;
  }

  private unlink(node: number): void {
    this.link(at(this.prev, node), at(this.next, node));
  }

  private relink(node: number): void {
    this.next[at(this.prev, node)] = node;
    this.prev[at(this.next, node)] = node;
  }
}

/**
 * The optional operations, for finding those available (called before a bound, not used).
 * Identical optional operations are interchangeable (symmetry.ts), so only the earliest unused
 * one of each group of identical ones is offered; the used ones are then always a prefix of
 * their group, and the groups are scanned instead of every lingering operation. Groups are laid
 * out flat in typed arrays because this scan is the search's hottest loop.
 */
export class OptionalPool {
  /** Members of all groups, group after group, each group in call order. */
  private readonly members: Int32Array;
  private readonly calls: Float64Array;
  private readonly groupStart: Int32Array;
  private readonly groupSize: Int32Array;
  private readonly used: Int32Array;
  /** Per operation: its group, or -1 for required operations. */
  private readonly groupOf: Int32Array;

  /** `identity`: per operation, a number shared exactly by identical operations. */
  constructor(points: readonly TimelinePoint[], identity: readonly number[]) {
    const groups = new Map<number, number[]>();
    points.forEach((p, op) => {
      if (!p.optional) return;
      const id = identity[op] ?? -1;
      const group = groups.get(id);
      if (group === undefined) groups.set(id, [op]);
      else group.push(op);
    });
    const callOf = (op: number): number => points[op]?.call ?? 0;
    const flat = [...groups.values()].flatMap((g) => g.sort((a, b) => callOf(a) - callOf(b)));
    this.members = Int32Array.from(flat);
    this.calls = Float64Array.from(flat, callOf);
    this.groupStart = new Int32Array(groups.size);
    this.groupSize = new Int32Array(groups.size);
    this.used = new Int32Array(groups.size);
    this.groupOf = new Int32Array(points.length).fill(-1);
    let offset = 0;
    [...groups.values()].forEach((g, index) => {
      this.groupStart[index] = offset;
      this.groupSize[index] = g.length;
      for (const op of g) this.groupOf[op] = index;
      offset += g.length;
    });
  }

  take(op: number): void {
    const g = this.group(op);
    if (this.nextOf(g) !== op) throw new Error(`optional operation ${op} taken out of order`);
    this.used[g] = (this.used[g] ?? 0) + 1;
  }

  giveBack(op: number): void {
    const g = this.group(op);
    this.used[g] = (this.used[g] ?? 0) - 1;
    if (this.nextOf(g) !== op) throw new Error(`optional operation ${op} given back out of order`);
  }

  available(bound: number): number[] {
    const found: number[] = [];
    const { members, calls, groupStart, groupSize, used } = this;
    for (let g = 0; g < groupStart.length; g++) {
      const u = used[g] ?? 0;
      if (u >= (groupSize[g] ?? 0)) continue;
      const i = (groupStart[g] ?? 0) + u;
      if ((calls[i] ?? Infinity) <= bound) found.push(members[i] ?? -1);
    }
    return found;
  }

  private nextOf(g: number): number {
    return this.members[(this.groupStart[g] ?? 0) + (this.used[g] ?? 0)] ?? -1;
  }

  private group(op: number): number {
    const g = this.groupOf[op] ?? -1;
    if (g < 0) throw new RangeError(`operation ${op} is not optional`);
    return g;
  }
}
