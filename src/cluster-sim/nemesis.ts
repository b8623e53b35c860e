// Faults, drawn from the seed while the run goes: crash and restart, a partition into two
// groups (during bootstrap too), one cut link (an asymmetric partition), a slow agent, a burst
// of packet loss, and at most once an agent stopped for good (only when the cluster can spare
// it). healAll() ends every fault except the permanent stop.
import type { Prng } from '../sim/prng.ts';
import type { SimAgent } from './agent.ts';
import type { World } from './world.ts';

const faultWeights = { crash: 4, partition: 3, cut: 2, slow: 2, loss: 1, stop: 1 } as const;
type Fault = keyof typeof faultWeights;

export class Nemesis {
  private readonly w: World;
  private readonly rng: Prng;
  private readonly stopped = new Set<string>();
  private healed = false;

  constructor(world: World, rng: Prng) {
    this.w = world;
    this.rng = rng;
  }

  /** Agents stopped for good (they stay down after healing). */
  get permanentlyStopped(): ReadonlySet<string> {
    return this.stopped;
  }

  start(): void {
    this.next();
  }

  private next(): void {
    const s = this.w.scenario;
    const gap = this.rng.range(Math.floor(s.faultGapMs / 2), Math.floor((s.faultGapMs * 3) / 2));
    if (this.w.now + gap >= s.faultsUntilMs) return;
    this.w.sched.after(gap, 'nemesis', () => {
      if (this.healed) return;
      this.strike(this.rng.weighted(faultWeights));
      this.next();
    });
  }

  private later(ms: number, fn: () => void): void {
    this.w.sched.after(ms, 'nemesis heal', () => {
      if (!this.healed) fn();
    });
  }

  private strike(f: Fault): void {
    const { w, rng } = this;
    const agents = w.agents;
    const live = agents.filter((a) => !this.stopped.has(a.id));
    const victim = rng.pick(live);
    const healIn = rng.range(1_000, 20_000);
    switch (f) {
      case 'crash':
        if (!victim.up) return;
        w.trace(`nemesis: crash ${victim.id} for ${healIn}ms`);
        w.crash(victim);
        this.later(healIn, () => w.start(victim));
        return;
      case 'partition': {
        const side = rng.shuffle(agents).slice(0, rng.range(1, Math.max(1, agents.length - 1)));
        const inSide = new Set(side.map((a) => a.id));
        w.trace(`nemesis: partition [${[...inSide].sort().join(',')}] for ${healIn}ms`);
        w.count('fault.partition');
        for (const a of agents) {
          for (const b of agents) if (inSide.has(a.id) !== inSide.has(b.id)) w.cut(a.id, b.id);
        }
        this.later(healIn, () => w.healAll());
        return;
      }
      case 'cut': {
        const other = rng.pick(agents.filter((a) => a !== victim));
        w.trace(`nemesis: cut ${victim.id}>${other.id} for ${healIn}ms`);
        w.count('fault.cut');
        w.cut(victim.id, other.id);
        this.later(healIn, () => w.healAll());
        return;
      }
      case 'slow': {
        const factor = rng.range(2, 5);
        const delayMs = rng.range(20, 400);
        w.trace(`nemesis: slow ${victim.id} x${factor} +${delayMs}ms for ${healIn}ms`);
        w.count('fault.slow');
        w.setSlow(victim, factor, delayMs);
        this.later(healIn, () => w.setSlow(victim, 1, 0));
        return;
      }
      case 'loss': {
        const lossRate = rng.range(5, 30) / 100;
        w.trace(`nemesis: loss ${lossRate} for ${healIn}ms`);
        w.count('fault.loss');
        w.net.configure({ lossRate });
        this.later(healIn, () => w.net.configure({ lossRate: 0 }));
        return;
      }
      case 'stop':
        if (this.canStop(victim)) {
          w.trace(`nemesis: stop ${victim.id} for good`);
          w.count('fault.stop');
          this.stopped.add(victim.id);
          w.crash(victim);
        }
        return;
    }
  }

  /**
   * Once per run, after the cluster formed, and only a voter whose fellow voters are all up, in
   * a configuration of at least three (so the others keep a quorum: losing one voter for good
   * is what a cluster of three must survive, losing two is not).
   */
  private canStop(victim: SimAgent): boolean {
    const w = this.w;
    if (this.stopped.size > 0 || w.agents.length < 4 || !victim.up) return false;
    if (w.checks.bootstraps.length === 0) return false;
    for (const a of w.agents) {
      const voters = a.raft?.core.status().config.voters ?? [];
      if (!voters.includes(victim.id)) continue;
      // Every fellow voter must be up and hold the configuration (a bootstrap log exists only on
      // its writer until it is replicated).
      const ready = (v: string): boolean =>
        w.agent(v)?.up === true && (w.agent(v)?.storage.lastIndex() ?? 0) >= 2;
      if (voters.length < 3 || !voters.every(ready)) return false;
    }
    return true;
  }

  /** Ends every fault: links heal, loss and slowness stop, crashed agents restart. */
  healAll(): void {
    const w = this.w;
    this.healed = true;
    w.healAll();
    w.net.configure({ lossRate: 0 });
    for (const a of w.agents) {
      w.setSlow(a, 1, 0);
      if (!this.stopped.has(a.id)) w.start(a);
    }
    w.trace('nemesis: heal everything');
  }
}
