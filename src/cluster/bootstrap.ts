// Bootstrap by gossip (Consul's bootstrap_expect): a pure decision over what gossip shows.
//
// An agent started with `--bootstrap N` on an empty DATA_DIR waits until N live Sappers agents
// (itself included) are visible, none of which belongs to a cluster (hasState or a cluster id).
// Of the agents that carry a bootstrap expectation, only the lowest node id bootstraps; it
// writes the first configuration with N of them as voters. Safety: once any agent reports a
// cluster, nobody bootstraps any more; those agents are added to it by its leader instead.

export interface BootstrapPeer {
  readonly id: string;
  readonly raftAddr: string;
  /** Gossip says alive (suspect counts: it may still answer). */
  readonly alive: boolean;
  readonly bootstrapExpect: number;
  readonly hasState: boolean;
  readonly clusterId: string | null;
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
  /** Never bootstrap: wait for a leader to add this agent. */
  | { readonly kind: 'never'; readonly reason: string };

export function decideBootstrap(i: BootstrapInput): BootstrapDecision {
  if (i.expect <= 0) return { kind: 'never', reason: 'no --bootstrap' };
  if (i.hasState) return { kind: 'never', reason: 'DATA_DIR has Raft state' };
  const others = i.peers.filter((p) => p.id !== i.selfId && p.alive);
  const member = others.find((p) => p.hasState || p.clusterId !== null);
  if (member !== undefined) {
    return {
      kind: 'never',
      reason: `${member.id} already belongs to a cluster; waiting to be added to it`,
    };
  }
  const self = i.peers.find((p) => p.id === i.selfId);
  if (self === undefined) return { kind: 'wait', reason: 'gossip does not list this agent yet' };
  const seen = others.length + 1;
  if (seen < i.expect) {
    return { kind: 'wait', reason: `${seen} of ${i.expect} expected agents visible` };
  }
  const lowest = others
    .filter((p) => p.bootstrapExpect > 0 && p.id < i.selfId)
    .map((p) => p.id)
    .sort()[0];
  if (lowest !== undefined) {
    return { kind: 'wait', reason: `${lowest} has the lowest id among bootstrapping agents` };
  }
  const chosen = [...others].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const voters = [self, ...chosen.slice(0, i.expect - 1)].map((p) => ({
    id: p.id,
    raftAddr: p.raftAddr,
  }));
  return { kind: 'bootstrap', voters };
}
