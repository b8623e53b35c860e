// A seeded model world for autopilot property tests: agents crash, restart, leave and join while
// gossip lags behind; autopilot's actions are applied to a model Raft configuration at once.
import { Autopilot } from '../../src/cluster/index.ts';
import type {
  AutopilotAction,
  AutopilotConfig,
  AutopilotMember,
  AutopilotObservation,
} from '../../src/cluster/index.ts';
import { Prng } from '../../src/sim/prng.ts';

export const stepMs = 500;
const suspectToFailedMs = 2_000;
const failedToForgottenMs = 30_000;

interface Agent {
  id: string;
  born: boolean;
  up: boolean;
  upSinceMs: number;
  gossip: 'alive' | 'suspect' | 'failed' | 'left' | 'gone';
  gossipSinceMs: number;
  /** Gossip incarnation: raised by every start (a restart refutes the old one). */
  incarnation: number;
  tags: string[];
  cpu: number;
  mem: number;
}

export interface StepRecord {
  nowMs: number;
  action: AutopilotAction | null;
  /** Config before the action. */
  voters: string[];
  learners: string[];
}

export class World {
  nowMs = 0;
  voters: string[] = ['n1'];
  learners: string[] = [];
  readonly agents: Agent[] = [];
  readonly trace: StepRecord[] = [];
  /** When each learner joined the configuration as one. */
  readonly learnerSinceMs = new Map<string, number>();
  private readonly ap = new Autopilot();
  private readonly rng: Prng;

  readonly config: AutopilotConfig;

  constructor(seed: number, config: AutopilotConfig, agentCount: number) {
    this.config = config;
    this.rng = new Prng(seed);
    for (let k = 1; k <= agentCount; k++) {
      const born = k === 1 || this.rng.chance(0.6);
      this.agents.push({
        id: `n${k}`,
        born,
        up: born,
        upSinceMs: 0,
        gossip: born ? 'alive' : 'gone',
        gossipSinceMs: 0,
        incarnation: born ? 1 : 0,
        tags: this.rng.chance(0.3) ? ['consensus'] : [],
        cpu: this.rng.int(4) * 250,
        mem: this.rng.int(3) * 1e9,
      });
    }
  }

  agent(id: string): Agent {
    const a = this.agents.find((x) => x.id === id);
    if (a === undefined) throw new Error(`no agent ${id}`);
    return a;
  }

  upVoterCount(voters: readonly string[]): number {
    return voters.filter((v) => this.agent(v).up).length;
  }

  /**
   * One random fault or repair (n1, the leader, never fails). A fault rarely takes the up voters
   * below a quorum (`quorumLossAllowed`), since autopilot can do nothing about that.
   */
  chaos(quorumLossAllowed: boolean): void {
    const a = this.rng.pick(this.agents.slice(1));
    if (!a.born) {
      a.born = true;
      this.start(a);
      return;
    }
    if (!a.up) {
      if (this.rng.chance(0.7)) this.start(a);
      return;
    }
    const left = this.voters.filter((v) => v !== a.id);
    const upAfter = this.upVoterCount(left);
    const quorum = Math.floor(this.voters.length / 2) + 1;
    if (this.voters.includes(a.id) && upAfter < quorum && !quorumLossAllowed) return;
    a.up = false;
    this.setGossip(a, this.rng.chance(0.2) ? 'left' : 'suspect');
  }

  /** Restart every down voter (the end of a quorum loss). */
  restartVoters(): void {
    for (const v of this.voters) if (!this.agent(v).up) this.start(this.agent(v));
  }

  private start(a: Agent): void {
    a.up = true;
    a.upSinceMs = this.nowMs;
    a.incarnation++;
    this.setGossip(a, 'alive');
  }

  private setGossip(a: Agent, g: Agent['gossip']): void {
    a.gossip = g;
    a.gossipSinceMs = this.nowMs;
  }

  /** Advance time by one step, let gossip catch up, run autopilot, apply its action. */
  step(): StepRecord {
    this.nowMs += stepMs;
    for (const a of this.agents) {
      const age = this.nowMs - a.gossipSinceMs;
      if (a.gossip === 'suspect' && age >= suspectToFailedMs) this.setGossip(a, 'failed');
      else if ((a.gossip === 'failed' || a.gossip === 'left') && age >= failedToForgottenMs) {
        this.setGossip(a, 'gone');
      }
    }
    const action = this.ap.step(this.observe());
    const rec: StepRecord = {
      nowMs: this.nowMs,
      action,
      voters: [...this.voters],
      learners: [...this.learners],
    };
    this.trace.push(rec);
    if (action !== null) this.apply(action);
    return rec;
  }

  private observe(): AutopilotObservation {
    const lastIndex = 10 * this.nowMs;
    const match: Record<string, number> = {};
    const active: Record<string, boolean> = {};
    const members: AutopilotMember[] = [];
    for (const a of this.agents) {
      const inConfig = this.voters.includes(a.id) || this.learners.includes(a.id);
      if (inConfig) {
        match[a.id] = a.up ? lastIndex : 0;
        active[a.id] = a.up;
      }
      if (a.gossip === 'gone' && !inConfig) continue;
      members.push({
        id: a.id,
        raftAddr: `127.0.0.1:${a.id}`,
        gossip: a.gossip === 'gone' ? 'unknown' : a.gossip,
        gossipSinceMs: a.gossipSinceMs,
        tags: a.tags,
        cpuFreeMilli: a.cpu,
        memFreeBytes: a.mem,
        clusterId: 'c1',
        incarnation: a.incarnation,
      });
    }
    return {
      nowMs: this.nowMs,
      selfId: 'n1',
      clusterId: 'c1',
      voters: [...this.voters],
      learners: [...this.learners],
      match,
      lastIndex,
      active,
      pendingConfChange: false,
      members: this.rng.shuffle(members),
      config: this.config,
    };
  }

  private apply(action: AutopilotAction): void {
    const id = action.id;
    switch (action.type) {
      case 'addLearner':
        if (this.voters.includes(id) || this.learners.includes(id)) throw new Error(`re-add ${id}`);
        this.learners = [...this.learners, id].sort();
        this.learnerSinceMs.set(id, this.nowMs);
        return;
      case 'promote':
        if (!this.learners.includes(id)) throw new Error(`promote non-learner ${id}`);
        this.learners = this.learners.filter((x) => x !== id);
        this.voters = [...this.voters, id].sort();
        return;
      case 'remove':
        if (!this.voters.includes(id) && !this.learners.includes(id)) {
          throw new Error(`remove non-member ${id}`);
        }
        this.voters = this.voters.filter((x) => x !== id);
        this.learners = this.learners.filter((x) => x !== id);
        return;
    }
  }
}
