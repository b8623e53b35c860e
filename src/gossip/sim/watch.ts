// Watches the membership events of a simulated cluster: how many members each node sees as
// live, when each node first learned that a given node joined or died, and every failure
// verdict about a node that was in fact up and reachable (a false positive).
import type { MemberEvent } from '../core/types.ts';
import type { GossipCluster } from './cluster.ts';

/** First time each observer saw something about one subject. */
class Sightings {
  readonly startMs: number;
  readonly firstBy = new Map<number, number>();

  constructor(startMs: number) {
    this.startMs = startMs;
  }

  see(observer: number, nowMs: number): void {
    if (!this.firstBy.has(observer)) this.firstBy.set(observer, nowMs);
  }

  /** Time from start until every observer in `who` had seen it, or null if some have not. */
  allSeenAfter(who: readonly number[]): number | null {
    let last = this.startMs;
    for (const o of who) {
      const t = this.firstBy.get(o);
      if (t === undefined) return null;
      last = Math.max(last, t);
    }
    return last - this.startMs;
  }

  /** Time from start until the first observer saw it, or null. */
  firstAfter(): number | null {
    let first = Infinity;
    for (const t of this.firstBy.values()) first = Math.min(first, t);
    return first === Infinity ? null : first - this.startMs;
  }
}

export interface FalsePositives {
  /** (observer, subject) pairs where a reachable, running node was declared dead. */
  readonly deadPairs: number;
  /** Distinct reachable, running nodes declared dead by anyone. */
  readonly deadNodes: number;
  /** (observer, subject) pairs where such a node was suspected (most are refuted). */
  readonly suspectPairs: number;
}

export class MembershipWatch {
  /** Per observer: members it currently sees alive or suspect (itself included). */
  readonly liveView: number[] = [];
  private readonly joins = new Map<string, Sightings>();
  private readonly suspects = new Map<string, Sightings>();
  private readonly deaths = new Map<string, Sightings>();
  /** Faults we caused on purpose (kill, pause, leave): verdicts until then are not false. */
  private readonly excusedUntil = new Map<string, number>();
  private deadPairs = 0;
  private suspectPairs = 0;
  private readonly deadNodes = new Set<string>();

  constructor(cluster: GossipCluster) {
    cluster.onEvent = (o, e, t) => this.onEvent(o, e, t);
  }

  /** Starts timing how fast news that `name` joined (or died) reaches everyone. */
  trackJoin(name: string, nowMs: number): void {
    this.joins.set(name, new Sightings(nowMs));
  }

  trackDeath(name: string, nowMs: number): void {
    this.deaths.set(name, new Sightings(nowMs));
    this.suspects.set(name, new Sightings(nowMs));
  }

  /** Verdicts about `name` before `untilMs` are deserved (it was killed, paused or left). */
  excuse(name: string, untilMs: number): void {
    this.excusedUntil.set(name, Math.max(untilMs, this.excusedUntil.get(name) ?? 0));
  }

  joinSpread(name: string, observers: readonly number[]): number | null {
    return this.joins.get(name)?.allSeenAfter(observers) ?? null;
  }

  detection(name: string, observers: readonly number[]) {
    return {
      firstSuspectMs: this.suspects.get(name)?.firstAfter() ?? null,
      firstDeadMs: this.deaths.get(name)?.firstAfter() ?? null,
      allDeadMs: this.deaths.get(name)?.allSeenAfter(observers) ?? null,
    };
  }

  falsePositives(): FalsePositives {
    return {
      deadPairs: this.deadPairs,
      deadNodes: this.deadNodes.size,
      suspectPairs: this.suspectPairs,
    };
  }

  private onEvent(observer: number, e: MemberEvent, nowMs: number): void {
    const name = e.member.name;
    const view = this.liveView[observer] ?? 0;
    const excused = (this.excusedUntil.get(name) ?? -1) >= nowMs;
    switch (e.type) {
      case 'join':
        this.liveView[observer] = view + 1;
        this.joins.get(name)?.see(observer, nowMs);
        return;
      case 'suspect':
        this.suspects.get(name)?.see(observer, nowMs);
        if (!excused) this.suspectPairs++;
        return;
      case 'fail':
      case 'leave':
        this.liveView[observer] = view - 1;
        this.deaths.get(name)?.see(observer, nowMs);
        if (!excused && e.type === 'fail') {
          this.deadPairs++;
          this.deadNodes.add(name);
        }
        return;
      default:
        return;
    }
  }
}
