// The simulated world: agents on one virtual clock (src/sim's Scheduler) and one simulated
// network (src/sim's Network: random delays, loss, directional cuts) carrying both Raft
// messages and gossip (UDP packets and TCP exchanges). Slow agents tick less often and add a
// delay to everything they send and receive. The world also keeps the omniscient view the
// checks need: who is up, which links are cut, and since when.
import type { AutopilotAction } from '../cluster/autopilot-types.ts';
import type { OutStream } from '../gossip/core/index.ts';
import type { GossipAddress, GossipMessage } from '../gossip/messages.ts';
import type { Entry, Message } from '../raft/index.ts';
import { InvariantChecker, InvariantViolation, type Where } from '../sim/invariants.ts';
import { Network, type Addressed } from '../sim/network.ts';
import type { Prng } from '../sim/prng.ts';
import { Scheduler } from '../sim/scheduler.ts';
import { SimAgent, simAddress } from './agent.ts';
import { ClusterChecks, formatChange } from './checks.ts';
import type { Scenario } from './scenario.ts';

type Envelope = Addressed &
  (
    | { readonly k: 'raft'; readonly m: Message }
    | { readonly k: 'udp'; readonly msgs: GossipMessage[] }
    | {
        readonly k: 'streamReq';
        readonly id: number;
        readonly inc: number;
        readonly msg: GossipMessage;
      }
    | {
        readonly k: 'streamRes';
        readonly id: number;
        readonly inc: number;
        readonly reply: GossipMessage | Error;
      }
  );

/** Steps (deliveries and timers) one run may take at most: a bound, never reached normally. */
const maxSteps = 20_000_000;

export class World {
  readonly scenario: Scenario;
  readonly sched = new Scheduler();
  readonly net: Network<Envelope>;
  readonly checker: InvariantChecker;
  readonly checks: ClusterChecks;
  readonly agents: SimAgent[] = [];
  readonly counts: Record<string, number> = {};
  readonly traceLines: string[] = [];
  steps = 0;
  /** Extra one-way delay of everything a slow agent sends or receives. */
  private readonly slowMs = new Map<string, number>();
  private readonly downSince = new Map<string, number>();
  private readonly cutSince = new Map<string, number>();
  private readonly byHost = new Map<string, SimAgent>();
  private readonly tracing: boolean;

  constructor(scenario: Scenario, rng: Prng, tracing: boolean) {
    this.scenario = scenario;
    this.tracing = tracing;
    this.net = new Network<Envelope>(rng.fork('network'), scenario.network);
    const where = (): Where => ({ seed: scenario.seed, step: this.steps, time: this.sched.now });
    this.checker = new InvariantChecker(where);
    this.checks = new ClusterChecks((d) => {
      throw new InvariantViolation(where(), d);
    });
    for (const spec of scenario.agents) {
      const agent = new SimAgent(spec, this.agentEnv(), rng.fork(`agent:${spec.id}`));
      this.agents.push(agent);
      this.byHost.set(simAddress(spec.index).host, agent);
      this.downSince.set(spec.id, 0);
    }
  }

  get now(): number {
    return this.sched.now;
  }

  agent(id: string): SimAgent | undefined {
    return this.agents.find((a) => a.id === id);
  }

  trace(line: string): void {
    if (this.tracing) this.traceLines.push(`${String(this.now).padStart(7)}ms ${line}`);
  }

  count(what: string): void {
    this.counts[what] = (this.counts[what] ?? 0) + 1;
  }

  /** Runs every event due up to `untilMs`; stops early when `stop` holds after a timer. */
  runUntil(untilMs: number): void {
    for (;;) {
      const tn = this.net.nextTime();
      const ts = this.sched.nextTime();
      const next = Math.min(tn, ts);
      if (next > untilMs) break;
      this.sched.now = next;
      if (++this.steps > maxSteps) throw new Error(`more than ${maxSteps} steps`);
      if (tn <= ts) {
        const d = this.net.deliverNext(next);
        if (d !== undefined) this.deliver(d.message);
      } else {
        this.sched.pop()?.run();
      }
    }
    if (Number.isFinite(untilMs)) this.sched.now = Math.max(this.sched.now, untilMs);
  }

  // ---- faults ------------------------------------------------------------------------------

  start(a: SimAgent): void {
    if (a.up) return;
    a.start();
    this.downSince.delete(a.id);
  }

  crash(a: SimAgent): void {
    if (!a.up) return;
    a.crash();
    this.downSince.set(a.id, this.now);
    this.count('fault.crash');
  }

  cut(from: string, to: string): void {
    if (from === to || this.net.isCut(from, to)) return;
    this.net.cut(from, to);
    this.cutSince.set(`${from}>${to}`, this.now);
  }

  healAll(): void {
    this.net.healAll();
    this.cutSince.clear();
  }

  setSlow(a: SimAgent, factor: number, delayMs: number): void {
    a.slowFactor = factor;
    if (delayMs > 0) this.slowMs.set(a.id, delayMs);
    else this.slowMs.delete(a.id);
  }

  /** Up and reachable from `from` both ways now, or within the last `staleMs`. */
  healthy(id: string, from: string, staleMs: number): boolean {
    if (id === from) return this.agent(id)?.up === true;
    const starts = [
      this.downSince.get(id),
      this.cutSince.get(`${id}>${from}`),
      this.cutSince.get(`${from}>${id}`),
    ].filter((t): t is number => t !== undefined);
    if (starts.length === 0) return true;
    return this.now - Math.min(...starts) < staleMs;
  }

  // ---- plumbing ----------------------------------------------------------------------------

  private agentEnv(): ConstructorParameters<typeof SimAgent>[1] {
    return {
      scenario: this.scenario,
      checker: this.checker,
      checks: this.checks,
      now: () => this.now,
      after: (delayMs, label, fn) => this.sched.after(delayMs, label, fn),
      sendRaft: (m) => this.send({ from: m.from, to: m.to, k: 'raft', m }),
      sendPacket: (from, to, msgs) => this.sendTo(from, to, { k: 'udp', msgs }),
      openStream: (from, s) => this.openStream(from, s),
      joinTargets: (self) =>
        this.agents.filter((a) => a.id !== self).map((a) => simAddress(a.spec.index)),
      checkVoterChange: (leader, term, sinceMs, a, votersAfter) =>
        this.checkVoterChange(leader, term, sinceMs, a, votersAfter),
      onPersistEntries: (node: string, entries: readonly Entry[]) =>
        this.checks.onPersistEntries(node, entries),
      trace: (line) => this.trace(line),
      count: (what) => this.count(what),
    };
  }

  private checkVoterChange(
    leader: string,
    term: number,
    leaderSinceMs: number,
    a: AutopilotAction,
    votersAfter: string[],
  ): void {
    if (a.type === 'addLearner') return;
    const slow = this.agent(leader)?.slowFactor ?? 1;
    // Raft's recentActive window (an election timeout of the leader's ticks) plus delivery; but
    // a voter gone since before this leader's term (less in-flight slack) never answered it.
    const windowMs = this.scenario.electionTicks * this.scenario.tickMs * slow + 500;
    const staleMs = Math.min(windowMs, this.now - leaderSinceMs + 500);
    const rec = this.checks.onVoterChange(
      { atMs: this.now, leader, term, type: a.type, node: a.id, votersAfter, reason: a.reason },
      this,
      staleMs,
    );
    this.trace(`voter change ${formatChange(rec)}`);
  }

  private sendTo(from: string, to: GossipAddress, body: { k: 'udp'; msgs: GossipMessage[] }): void {
    const target = this.byHost.get(to.host);
    if (target !== undefined) this.send({ from, to: target.id, ...body });
  }

  private openStream(from: string, s: OutStream): void {
    const target = this.byHost.get(s.to.host);
    const inc = this.agent(from)?.incarnationNumber ?? 0;
    if (target === undefined) return;
    this.send({ from, to: target.id, k: 'streamReq', id: s.id, inc, msg: s.msg });
  }

  private send(e: Envelope): void {
    const extra = (this.slowMs.get(e.from) ?? 0) + (this.slowMs.get(e.to) ?? 0);
    if (extra === 0) this.net.send(e, this.now);
    else this.sched.after(extra, 'slow send', () => this.net.send(e, this.now));
  }

  private deliver(e: Envelope): void {
    const to = this.agent(e.to);
    if (to === undefined) return;
    switch (e.k) {
      case 'raft':
        to.receiveRaft(e.m);
        return;
      case 'udp':
        to.receivePacket(this.addressOf(e.from), e.msgs);
        return;
      case 'streamReq': {
        // A crashed agent's port refuses the connection at once.
        const reply = to.up
          ? (to.handleStream(this.addressOf(e.from), e.msg) ?? new Error('connection closed'))
          : new Error('connection refused');
        this.send({ from: e.to, to: e.from, k: 'streamRes', id: e.id, inc: e.inc, reply });
        return;
      }
      case 'streamRes':
        // A reply to an earlier incarnation's exchange reaches nobody.
        if (to.incarnationNumber === e.inc) to.streamResult(e.id, e.reply);
        return;
    }
  }

  private addressOf(id: string): GossipAddress {
    const a = this.agent(id);
    if (a === undefined) throw new Error(`unknown agent ${id}`);
    return simAddress(a.spec.index);
  }
}
