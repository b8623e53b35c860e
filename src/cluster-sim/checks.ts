// The cluster-level safety properties, checked as the run goes (Raft's own are src/sim's
// InvariantChecker):
//  - one cluster: at most one bootstrap in a run (every bootstrap writes a new cluster id), and
//    no agent ever stores entry 1 of two different initial configurations;
//  - autopilot never takes the cluster below quorum: when the leader proposes to remove (or
//    promote) a voter, the voters of the resulting configuration that are really up and
//    reachable from the leader (the simulator's omniscient view) still form its quorum.
// "Really healthy" allows for what the leader cannot know yet: a voter that went down or was cut
// off less than `staleMs` ago (Raft's recentActive window) still counts, and the strict count is
// recorded beside it.
import type { Entry, NodeId } from '../raft/index.ts';
import { fingerprint } from '../sim/invariants.ts';

export interface BootstrapRecord {
  readonly agent: NodeId;
  readonly voters: readonly NodeId[];
  readonly clusterId: string;
  readonly atMs: number;
}

export interface ChangeRecord {
  readonly atMs: number;
  readonly leader: NodeId;
  readonly term: number;
  readonly type: 'remove' | 'promote';
  readonly node: NodeId;
  readonly votersAfter: readonly NodeId[];
  readonly healthyStrict: readonly NodeId[];
  readonly healthyTolerant: readonly NodeId[];
  readonly quorum: number;
  readonly reason: string;
}

/** The world as the checker may see it (everything, no delays). */
export interface WorldView {
  /** Is `id` up and reachable from `from` both ways now, or was it within the last `staleMs`? */
  healthy(id: NodeId, from: NodeId, staleMs: number): boolean;
}

export function quorumOf(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

export class ClusterChecks {
  readonly bootstraps: BootstrapRecord[] = [];
  readonly changes: ChangeRecord[] = [];
  /** Per agent, the fingerprint of the entry 1 it stored (its cluster's origin). */
  private readonly origin = new Map<NodeId, string>();
  private readonly fail: (description: string) => never;

  constructor(fail: (description: string) => never) {
    this.fail = fail;
  }

  onBootstrap(r: BootstrapRecord): void {
    const first = this.bootstraps[0];
    this.bootstraps.push(r);
    if (first !== undefined && first.clusterId !== r.clusterId) {
      this.fail(
        `two clusters: ${first.agent} bootstrapped ${first.clusterId} with [${first.voters.join(',')}] ` +
          `at ${first.atMs}ms, ${r.agent} bootstrapped ${r.clusterId} with [${r.voters.join(',')}] ` +
          `at ${r.atMs}ms`,
      );
    }
  }

  /** An agent durably stored `entries`: entry 1 names the initial configuration it belongs to. */
  onPersistEntries(agent: NodeId, entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined || first.index !== 1) return;
    const fp = fingerprint(first);
    const had = this.origin.get(agent);
    if (had === undefined) this.origin.set(agent, fp);
    else if (had !== fp) {
      this.fail(
        `${agent} holds entries of two initial configurations: first ${had.slice(0, 160)}, ` +
          `now ${fp.slice(0, 160)}`,
      );
    }
  }

  /** The leader proposes a change of voters; checked against the omniscient view. */
  onVoterChange(
    c: Omit<ChangeRecord, 'healthyStrict' | 'healthyTolerant' | 'quorum'>,
    world: WorldView,
    staleMs: number,
  ): ChangeRecord {
    const healthyStrict = c.votersAfter.filter((v) => world.healthy(v, c.leader, 0));
    const healthyTolerant = c.votersAfter.filter((v) => world.healthy(v, c.leader, staleMs));
    const rec: ChangeRecord = {
      ...c,
      healthyStrict,
      healthyTolerant,
      quorum: quorumOf(c.votersAfter.length),
    };
    this.changes.push(rec);
    if (healthyTolerant.length < rec.quorum) {
      this.fail(`autopilot below quorum: ${formatChange(rec)}`);
    }
    return rec;
  }

  /** Agents whose log starts from each distinct initial configuration. */
  originCount(): number {
    return new Set(this.origin.values()).size;
  }
}

export function formatChange(r: ChangeRecord): string {
  return (
    `t=${r.atMs}ms leader ${r.leader} (term ${r.term}) ${r.type} ${r.node} -> voters ` +
    `[${r.votersAfter.join(',')}], healthy [${r.healthyTolerant.join(',')}] ` +
    `(strictly now [${r.healthyStrict.join(',')}]), quorum ${r.quorum}; ${r.reason}`
  );
}
