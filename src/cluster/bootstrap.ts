// Bootstrap by gossip (Consul's bootstrap_expect): a pure decision over what gossip shows.
//
// An agent started with `--bootstrap N` on an empty DATA_DIR ("flagged") waits until it sees
// enough live Sappers agents, none of which belongs to a cluster (Raft state, a cluster id or a
// leader in its metadata: then it never bootstraps and waits to be added instead). Who counts:
//  - when no other flagged agent is visible, every live agent counts toward N (the seed's way:
//    node1 carries `--bootstrap 3`, nodes 2 and 3 carry nothing and take part);
//  - as soon as another flagged agent is visible, only flagged agents count, and only the one
//    with the lowest node id among them bootstraps, with the N lowest-id flagged agents as
//    voters; the others wait (they are added by its leader);
//  - flagged agents that disagree on N never bootstrap (`conflict`: logged as an error).
// `BootstrapGate` adds a settle period: the decision must have been "bootstrap" continuously for
// settleMs (several gossip rounds, so that a lower-id flagged agent that gossips to us is seen)
// and is made afresh right before the first log is written.
//
// Safe layouts (never two clusters, even with partitions during bootstrap):
//  1. exactly one agent carries --bootstrap (any N): only it can ever bootstrap;
//  2. exactly N agents carry the same --bootstrap N, and fewer than N-1 agents without the flag
//     are up before the cluster forms (e.g. every agent carries N = the number of agents, as
//     Consul recommends for bootstrap_expect): a flagged agent that sees other flagged agents
//     must see all N of them, so only the lowest-id one bootstraps.
// Other layouts (several flagged agents but not N of them, or more than N) are not safe: a
// flagged agent that sees N agents but no other flagged one cannot tell them from layout 1, so a
// partition (or gossip slower than the settle period) during bootstrap can make two clusters, as
// with Consul.

export interface BootstrapPeer {
  readonly id: string;
  readonly raftAddr: string;
  /** Gossip says alive (suspect counts: it may still answer). */
  readonly alive: boolean;
  readonly bootstrapExpect: number;
  readonly hasState: boolean;
  readonly clusterId: string | null;
  readonly leaderId: string | null;
}

export interface BootstrapInput {
  readonly selfId: string;
  /** --bootstrap N (0: this agent never bootstraps). */
  readonly expect: number;
  /** This agent's DATA_DIR already had Raft state. */
  readonly hasState: boolean;
  /** Every Sappers agent gossip shows, this one included. */
  readonly peers: readonly BootstrapPeer[];
}

export type BootstrapDecision =
  | { readonly kind: 'bootstrap'; readonly voters: readonly { id: string; raftAddr: string }[] }
  /** Keep waiting (re-decide when gossip changes). */
  | { readonly kind: 'wait'; readonly reason: string }
  /** Flagged agents disagree on N: do not bootstrap, say so loudly, keep watching. */
  | { readonly kind: 'conflict'; readonly reason: string }
  /** Never bootstrap: wait for a leader to add this agent. */
  | { readonly kind: 'never'; readonly reason: string };

function byId(a: BootstrapPeer, b: BootstrapPeer): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function decideBootstrap(i: BootstrapInput): BootstrapDecision {
  if (i.expect <= 0) return { kind: 'never', reason: 'no --bootstrap' };
  if (i.hasState) return { kind: 'never', reason: 'DATA_DIR has Raft state' };
  const others = i.peers.filter((p) => p.id !== i.selfId && p.alive);
  const member = others.find((p) => p.hasState || p.clusterId !== null || p.leaderId !== null);
  if (member !== undefined) {
    return {
      kind: 'never',
      reason: `${member.id} already belongs to a cluster; waiting to be added to it`,
    };
  }
  const self = i.peers.find((p) => p.id === i.selfId);
  if (self === undefined) return { kind: 'wait', reason: 'gossip does not list this agent yet' };
  const flaggedOthers = others.filter((p) => p.bootstrapExpect > 0);
  const differ = flaggedOthers.find((p) => p.bootstrapExpect !== i.expect);
  if (differ !== undefined) {
    return {
      kind: 'conflict',
      reason:
        `${differ.id} carries --bootstrap ${differ.bootstrapExpect} but this agent ` +
        `--bootstrap ${i.expect}: every agent started with --bootstrap must give the same N`,
    };
  }
  const flaggedOnly = flaggedOthers.length > 0;
  const pool = [self, ...(flaggedOnly ? flaggedOthers : others)].sort(byId);
  if (pool.length < i.expect) {
    const what = flaggedOnly ? 'agents carrying --bootstrap' : 'agents';
    return { kind: 'wait', reason: `${pool.length} of ${i.expect} expected ${what} visible` };
  }
  const lowest = flaggedOthers.map((p) => p.id).find((id) => id < i.selfId);
  if (lowest !== undefined) {
    return { kind: 'wait', reason: `${lowest} has a lower id among bootstrapping agents` };
  }
  // Self is the lowest flagged agent: with flagged peers it is pool[0]; alone it is added first.
  const chosen = [self, ...pool.filter((p) => p.id !== i.selfId)].slice(0, i.expect);
  return { kind: 'bootstrap', voters: chosen.map((p) => ({ id: p.id, raftAddr: p.raftAddr })) };
}

/** How long the decision must stay "bootstrap" before it is acted on (agent default). */
export const defaultBootstrapSettleMs = 2_000;

/**
 * decideBootstrap with a settle period: "bootstrap" only once every decision for the last
 * settleMs was "bootstrap"; anything else restarts the period. Time comes from the caller.
 */
export class BootstrapGate {
  private readonly settleMs: number;
  private bootstrapSinceMs: number | null = null;

  constructor(settleMs: number = defaultBootstrapSettleMs) {
    if (!Number.isFinite(settleMs) || settleMs < 0) {
      throw new RangeError(`settleMs must be a finite number >= 0, got ${String(settleMs)}`);
    }
    this.settleMs = settleMs;
  }

  decide(i: BootstrapInput, nowMs: number): BootstrapDecision {
    const d = decideBootstrap(i);
    if (d.kind !== 'bootstrap') {
      this.bootstrapSinceMs = null;
      return d;
    }
    this.bootstrapSinceMs ??= nowMs;
    const heldMs = nowMs - this.bootstrapSinceMs;
    if (heldMs < this.settleMs) {
      return { kind: 'wait', reason: `ready to bootstrap; settling for ${this.settleMs} ms` };
    }
    return d;
  }
}
