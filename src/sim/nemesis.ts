// The nemesis: a seeded schedule of faults. Each run picks a profile (which faults, how often);
// faults then arrive at random intervals, each with a random duration after which it undoes
// itself. Targets ("the leader", "a random node") are resolved when the fault fires, so the
// schedule reacts to the cluster the way a real operator or failure would. `healAll` ends every
// fault at once for the final liveness phase.
import { RaftError, type ConfChange, type NodeId } from '../raft/index.ts';
import type { Cluster } from './cluster.ts';
import type { NetworkOptions } from './network.ts';
import type { Prng } from './prng.ts';
import type { FaultKind, Profile } from './profiles.ts';

export interface NemesisOptions {
  /** Mean pause between faults, ms. */
  readonly meanGapMs: number;
  readonly maxDurationMs: number;
  /** Voters never drop below this or rise above `maxVoters` through membership changes. */
  readonly minVoters: number;
  readonly maxVoters: number;
  /** Spare node ids that may join: n{first}.. */
  readonly firstSpare: number;
  readonly maxSpares: number;
}

export class Nemesis {
  private readonly cluster: Cluster;
  private readonly rng: Prng;
  private readonly profile: Profile;
  private readonly opts: NemesisOptions;
  private readonly baseNet: NetworkOptions;
  private readonly cuts = new Map<number, [NodeId, NodeId][]>();
  private nextFaultId = 0;
  private netToken = 0;
  private spares = 0;
  private stopped = false;
  readonly counts: Partial<Record<FaultKind | 'newLeader' | 'commitCrash', number>> = {};

  constructor(cluster: Cluster, rng: Prng, profile: Profile, opts: NemesisOptions) {
    this.cluster = cluster;
    this.rng = rng;
    this.profile = profile;
    this.opts = opts;
    this.baseNet = cluster.network.options;
    cluster.onRemoved = (id) => {
      cluster.sched.after(this.rng.range(20, 200), `decommission timer ${id}`, () => {
        // Only if still out of the committed configuration.
        const c = cluster.committedConfig.config;
        if (!c.voters.includes(id) && !c.learners.includes(id)) cluster.decommission(id);
      });
    };
    cluster.onLeader = (id, term) => {
      this.onNewLeader(id, term);
    };
    cluster.onLeaderCommit = (id, term) => {
      if (this.stopped || !this.rng.chance(this.profile.commitCrash)) return;
      const duration = this.rng.range(20, this.opts.maxDurationMs);
      this.later(0, `commit crash ${id}`, () => {
        const n = this.cluster.node(id);
        if (n === undefined || !n.up || n.term !== term) return;
        this.counts.commitCrash = (this.counts.commitCrash ?? 0) + 1;
        this.cluster.crash(id, true);
        this.restartAfter(id, duration);
      });
    };
  }

  start(at: number): void {
    this.cluster.sched.at(at, 'nemesis', () => {
      this.fire();
    });
  }

  private fire(): void {
    if (this.stopped) return;
    const kind = this.rng.weighted(this.profile.weights);
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
    const duration = this.rng.range(20, this.opts.maxDurationMs);
    const what = this.inject(kind, duration);
    this.cluster.trace(`nemesis ${kind}: ${what}`);
    const gap = 1 + this.rng.int(2 * this.opts.meanGapMs);
    this.cluster.sched.after(gap, 'nemesis', () => {
      this.fire();
    });
  }

  /** Ends every fault: heals links, restores the network, restarts nodes, restores ticks. */
  healAll(): void {
    this.stopped = true;
    this.cluster.disarmAll();
    this.cuts.clear();
    this.cluster.network.healAll();
    this.cluster.network.configure(this.baseNet);
    this.netToken++;
    for (const id of this.cluster.ids()) {
      const n = this.cluster.node(id);
      if (n !== undefined) n.tickEvery = this.cluster.opts.tickMs;
      this.cluster.restart(id);
    }
    this.cluster.trace('nemesis: heal all');
  }

  private later(delay: number, label: string, undo: () => void): void {
    this.cluster.sched.after(delay, label, () => {
      if (!this.stopped) undo();
    });
  }

  private upIds(): NodeId[] {
    return this.cluster.upNodes().map((n) => n.id);
  }

  private leaderOrRandom(): NodeId | null {
    const l = this.cluster.leader();
    if (l !== null) return l.id;
    const up = this.upIds();
    return up.length > 0 ? this.rng.pick(up) : null;
  }

  private inject(kind: FaultKind, duration: number): string {
    const c = this.cluster;
    switch (kind) {
      case 'crash':
      case 'crashLeader': {
        const up = this.upIds();
        const id =
          kind === 'crashLeader' ? this.leaderOrRandom() : up.length > 0 ? this.rng.pick(up) : null;
        if (id === null) return 'nothing up';
        this.crashFor(id, duration);
        return `${id} for ${duration}ms`;
      }
      case 'crashMany': {
        const up = this.rng.shuffle(this.upIds());
        const victims = up.slice(0, Math.max(1, Math.ceil(up.length / 2)));
        for (const id of victims) this.crashFor(id, this.rng.range(10, duration));
        return victims.join(',');
      }
      case 'partition': {
        const ids = this.rng.shuffle(c.ids());
        const cutAt = 1 + this.rng.int(Math.max(1, ids.length - 1));
        const groups = [ids.slice(0, cutAt), ids.slice(cutAt)];
        this.cutGroups(groups, duration);
        return `${groups.map((g) => g.join(',')).join(' | ')} for ${duration}ms`;
      }
      case 'leaderMinority': {
        const leader = this.leaderOrRandom();
        if (leader === null) return 'no node';
        const others = this.rng.shuffle(c.ids().filter((id) => id !== leader));
        const minority = Math.max(0, Math.floor((others.length + 1) / 2) - 1);
        const withLeader = [leader, ...others.slice(0, this.rng.int(minority + 1))];
        const rest = others.filter((id) => !withLeader.includes(id));
        this.cutGroups([withLeader, rest], duration);
        return `${withLeader.join(',')} | ${rest.join(',')} for ${duration}ms`;
      }
      case 'asymmetric': {
        const ids = c.ids();
        const links: [NodeId, NodeId][] = [];
        const n = 1 + this.rng.int(3);
        for (let i = 0; i < n && ids.length > 1; i++) {
          const [a, b] = this.rng.shuffle(ids);
          if (a !== undefined && b !== undefined) links.push([a, b]);
        }
        this.addCuts(links, duration);
        return `${links.map(([a, b]) => `${a}->${b}`).join(' ')} for ${duration}ms`;
      }
      case 'isolate': {
        const id = this.rng.chance(0.5) ? this.leaderOrRandom() : this.rng.pick(c.ids());
        if (id === null) return 'no node';
        this.cutGroups([[id], c.ids().filter((x) => x !== id)], duration);
        return `${id} for ${duration}ms`;
      }
      case 'loss':
        return this.netFault({ lossRate: 0.05 + 0.4 * this.rng.float() }, duration);
      case 'duplicate':
        return this.netFault({ dupRate: 0.05 + 0.3 * this.rng.float() }, duration);
      case 'slowNet':
        return this.netFault(
          { slowRate: 0.1 + 0.5 * this.rng.float(), slowDelay: this.rng.range(10, 80) },
          duration,
        );
      case 'slowNode': {
        const id = this.rng.pick(c.ids());
        const n = c.node(id);
        if (n === undefined) return 'no node';
        n.tickEvery = c.opts.tickMs * this.rng.range(2, 5);
        this.later(duration, `slow ${id} ends`, () => {
          n.tickEvery = c.opts.tickMs;
        });
        return `${id} ticks every ${n.tickEvery}ms for ${duration}ms`;
      }
      case 'membership':
        return this.changeMembership();
      case 'transfer': {
        const l = c.leader();
        if (l === null) return 'no leader';
        const voters = l
          .raft()
          .status()
          .config.voters.filter((v) => v !== l.id);
        if (voters.length === 0) return 'no other voter';
        const to = this.rng.pick(voters);
        try {
          l.raft().transferLeadership(to);
          l.process();
          return `${l.id} -> ${to}`;
        } catch (err) {
          if (err instanceof RaftError) return `${l.id} -> ${to} rejected: ${err.code}`;
          throw err;
        }
      }
      case 'snapshot': {
        const up = c.upNodes();
        if (up.length === 0) return 'nothing up';
        const n = this.rng.pick(up);
        return `${n.id} ${n.snapshotNow() ? 'took a snapshot' : 'had nothing new'}`;
      }
      case 'tornCrash': {
        const id = this.rng.chance(0.5) ? this.leaderOrRandom() : this.rng.pick(c.ids());
        if (id === null) return 'no node';
        c.armTornCrash(id, () => {
          this.restartAfter(id, duration);
        });
        return `${id} at its next Ready, down for ${duration}ms`;
      }
      case 'campaign': {
        const up = c.upNodes();
        if (up.length === 0) return 'nothing up';
        const n = this.rng.pick(up);
        n.raft().campaign();
        n.process();
        return n.id;
      }
    }
  }

  private onNewLeader(id: NodeId, term: number): void {
    if (this.stopped || !this.rng.chance(this.profile.newLeaderFault)) return;
    // Often before its first appends arrive anywhere, otherwise a little later.
    const delay = this.rng.chance(0.5)
      ? this.rng.range(0, 2)
      : this.rng.range(0, 3 * this.cluster.opts.tickMs);
    const crash = this.rng.chance(0.5);
    const duration = this.rng.range(20, this.opts.maxDurationMs);
    this.later(delay, `new leader ${id} fault`, () => {
      const n = this.cluster.node(id);
      if (n === undefined || !n.up || n.role !== 'leader' || n.term !== term) return;
      this.counts.newLeader = (this.counts.newLeader ?? 0) + 1;
      if (crash) this.crashFor(id, duration);
      else this.cutGroups([[id], this.cluster.ids().filter((x) => x !== id)], duration);
      this.cluster.trace(
        `nemesis new leader ${id}: ${crash ? 'crash' : 'isolate'} for ${duration}ms`,
      );
    });
  }

  private crashFor(id: NodeId, downMs: number): void {
    this.cluster.crash(id, this.rng.chance(0.5));
    this.restartAfter(id, downMs);
  }

  private restartAfter(id: NodeId, downMs: number): void {
    // Restarts happen even after healAll began (healAll restarts everything anyway).
    this.cluster.sched.after(downMs, `restart timer ${id}`, () => {
      this.cluster.restart(id);
    });
  }

  private cutGroups(groups: readonly (readonly NodeId[])[], duration: number): void {
    const links: [NodeId, NodeId][] = [];
    for (let i = 0; i < groups.length; i++) {
      for (let j = 0; j < groups.length; j++) {
        if (i === j) continue;
        for (const a of groups[i] ?? []) for (const b of groups[j] ?? []) links.push([a, b]);
      }
    }
    this.addCuts(links, duration);
  }

  private addCuts(links: [NodeId, NodeId][], duration: number): void {
    const id = this.nextFaultId++;
    this.cuts.set(id, links);
    for (const [a, b] of links) this.cluster.network.cut(a, b);
    this.later(duration, 'heal', () => {
      this.cuts.delete(id);
      this.cluster.network.healAll();
      for (const ls of this.cuts.values()) for (const [a, b] of ls) this.cluster.network.cut(a, b);
    });
  }

  private netFault(change: Partial<NetworkOptions>, duration: number): string {
    const token = ++this.netToken;
    this.cluster.network.configure({ ...this.baseNet, ...change });
    this.later(duration, 'network calms', () => {
      if (this.netToken === token) this.cluster.network.configure(this.baseNet);
    });
    return `${JSON.stringify(change)} for ${duration}ms`;
  }

  /** One single-server change chosen from the leader's configuration. */
  private changeMembership(): string {
    const c = this.cluster;
    const l = c.leader();
    if (l === null) return 'no leader';
    const config = l.raft().status().config;
    let change: ConfChange;
    const spareId = `n${this.opts.firstSpare + this.spares}`;
    const learner = config.learners[0];
    if (learner !== undefined) change = { type: 'promote', node: learner };
    else if (
      config.voters.length < this.opts.maxVoters &&
      this.spares < this.opts.maxSpares &&
      this.rng.chance(0.6)
    ) {
      change = { type: 'addLearner', node: spareId };
    } else if (config.voters.length > this.opts.minVoters) {
      const victim = this.rng.chance(0.4) ? l.id : this.rng.pick(config.voters);
      change = { type: 'remove', node: victim };
    } else return 'nothing to change';
    try {
      l.raft().proposeConfChange(change);
    } catch (err) {
      if (err instanceof RaftError) return `${change.type} ${change.node} rejected: ${err.code}`;
      throw err;
    }
    if (change.type === 'remove' && change.node === l.id) c.count('removeLeaderProposed');
    if (change.type === 'addLearner') {
      this.spares++;
      c.addNode(spareId);
    }
    l.process();
    return `${l.id} proposes ${change.type} ${change.node}`;
  }
}
