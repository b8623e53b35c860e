// memberlist's state rules: how alive, suspect and dead news (from packets, from push/pull, or
// from our own failed probes) changes what we believe, when we re-gossip it, and how we refute
// news about ourselves. Newer incarnations win; at equal incarnation suspect beats alive and
// dead beats suspect. A node's own "dead" about itself means it left.
import { NodeState, type Alive, type Dead, type PushNodeState, type Suspect } from '../messages.ts';
import { bytesEqual, sameIp } from './addr.ts';
import { broadcast, type CoreContext } from './context.ts';
import { noSlot } from './node-table.ts';
import { aliveMessage, aliveOfPushState } from './shared.ts';
import { Suspicion } from './suspicion.ts';
import { suspicionTimeoutMs } from './timing.ts';
import type { MemberEventType } from './types.ts';

const zeroVsn: readonly number[] = [0, 0, 0, 0, 0, 0];

function vsnEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** memberlist ignores alive news whose protocol range is empty or inverted. */
function validVsn(v: readonly number[]): boolean {
  if (v.length < 3) return true;
  const pmin = v[0] ?? 0;
  const pmax = v[1] ?? 0;
  return pmin > 0 && pmax > 0 && pmin <= pmax;
}

interface Timer {
  readonly suspicion: Suspicion;
  readonly changeMs: number;
}

export class Membership {
  /** Running suspicion timers by node name (only for members in the suspect state). */
  private readonly timers = new Map<string, Timer>();
  /** Our incarnation counter; bumped to refute and to re-announce. */
  private incarnation = 0;
  /** Set by leave(): news about ourselves is no longer refuted. */
  left = false;
  /** Our leave broadcast has been sent out fully (or superseded). */
  leaveDone = false;
  private readonly ctx: CoreContext;

  constructor(ctx: CoreContext) {
    this.ctx = ctx;
  }

  nextIncarnation(): number {
    this.incarnation = (this.incarnation + 1) >>> 0;
    return this.incarnation;
  }

  /** News that `a.Node` is alive. `bootstrap` marks our own announcements (start, setMeta). */
  aliveNode(a: Alive, bootstrap: boolean): void {
    const { ctx } = this;
    const t = ctx.table;
    const isLocal = a.Node === ctx.self;
    const known = t.slotOf(a.Node);
    // Fast path for the common case: news we already have (often the very same body).
    if (known !== noSlot && !isLocal && a.Incarnation <= t.incarnation(known)) {
      const info = t.info(known);
      if (info === a || (info.Port === a.Port && sameIp(info.Addr, a.Addr))) return;
    }
    if ((this.left && isLocal) || a.Node === '' || !validVsn(a.Vsn)) return;
    if (a.Addr.length !== 4 && a.Addr.length !== 16) return; // not an IP
    let n = known;
    let reclaim = false;
    if (n === noSlot) {
      const info = a.Vsn.length >= 6 ? a : { ...a, Vsn: zeroVsn };
      n = t.add(info, 0, NodeState.dead, ctx.nowMs);
    } else if (!this.sameAddress(n, a)) {
      // Another address claims a known name: allowed only to replace a left node, or one dead
      // for longer than deadNodeReclaimTime.
      if (!this.reclaimable(n)) return;
      reclaim = true;
    }
    if (a.Incarnation <= t.incarnation(n) && !isLocal && !reclaim) return;
    if (a.Incarnation < t.incarnation(n) && isLocal) return;
    if (this.timers.size > 0) this.timers.delete(a.Node);
    const oldState = t.state(n);
    const oldMeta = t.info(n).Meta;
    if (isLocal && !bootstrap) {
      const info = t.info(n);
      const same = a.Incarnation === t.incarnation(n) && bytesEqual(a.Meta, info.Meta);
      if (same && vsnEqual(a.Vsn, info.Vsn)) return;
      this.refute(n, a.Incarnation);
    } else {
      broadcast(ctx, a.Node, aliveMessage(a));
      this.applyAlive(n, a);
    }
    const state = t.state(n);
    if (oldState === NodeState.dead || oldState === NodeState.left) this.emit('join', n);
    else if (!bytesEqual(oldMeta, t.info(n).Meta)) this.emit('update', n);
    else if (oldState === NodeState.suspect && state === NodeState.alive) this.emit('alive', n);
  }

  /** News that `s.Node` is suspected by `s.From` (possibly ourselves, after a failed probe). */
  suspectNode(s: Suspect): void {
    const { ctx } = this;
    const t = ctx.table;
    const n = t.slotOf(s.Node);
    if (n === noSlot || s.Incarnation < t.incarnation(n)) return;
    const timer = this.timers.get(s.Node);
    if (timer !== undefined) {
      // Independent confirmations shorten the timer, and are worth passing on.
      if (timer.suspicion.confirm(s.From)) {
        broadcast(ctx, s.Node, { type: 'suspect', body: s });
        if (timer.suspicion.deadlineMs() <= ctx.nowMs) this.expire(s.Node, timer);
      }
      return;
    }
    if (t.state(n) !== NodeState.alive) return;
    if (t.name(n) === ctx.self) {
      this.refute(n, s.Incarnation);
      return;
    }
    broadcast(ctx, s.Node, { type: 'suspect', body: s });
    t.setIncarnation(n, s.Incarnation);
    t.setState(n, NodeState.suspect, ctx.nowMs);
    this.timers.set(s.Node, { suspicion: this.newSuspicion(s.From), changeMs: ctx.nowMs });
    this.emit('suspect', n);
  }

  /** News that `d.Node` is dead; when From equals Node, that it left. */
  deadNode(d: Dead): void {
    const { ctx } = this;
    const t = ctx.table;
    const n = t.slotOf(d.Node);
    if (n === noSlot || d.Incarnation < t.incarnation(n)) return;
    if (this.timers.size > 0) this.timers.delete(d.Node);
    if (t.deadOrLeft(n)) return;
    if (t.name(n) === ctx.self) {
      if (!this.left) {
        this.refute(n, d.Incarnation);
        return;
      }
      broadcast(ctx, d.Node, { type: 'dead', body: d }, () => {
        this.leaveDone = true;
      });
    } else {
      broadcast(ctx, d.Node, { type: 'dead', body: d });
    }
    t.setIncarnation(n, d.Incarnation);
    t.setState(n, d.Node === d.From ? NodeState.left : NodeState.dead, ctx.nowMs);
    this.emit(t.state(n) === NodeState.left ? 'leave' : 'fail', n);
  }

  /** A remote node's full state (push/pull): remote "dead" only makes us suspect. */
  mergeState(remote: readonly PushNodeState[]): void {
    for (const r of remote) {
      const inc = r.Incarnation;
      if (r.State === NodeState.alive) {
        this.aliveNode(aliveOfPushState(r), false);
      } else if (r.State === NodeState.left) {
        this.deadNode({ Incarnation: inc, Node: r.Name, From: r.Name });
      } else {
        this.suspectNode({ Incarnation: inc, Node: r.Name, From: this.ctx.self });
      }
    }
  }

  /** Declares dead every suspect whose timer ran out. */
  expireSuspicions(): void {
    for (const [name, timer] of this.timers) {
      if (timer.suspicion.deadlineMs() <= this.ctx.nowMs) this.expire(name, timer);
    }
  }

  nextSuspicionDeadline(): number {
    let next = Infinity;
    for (const t of this.timers.values()) next = Math.min(next, t.suspicion.deadlineMs());
    return next;
  }

  suspicionCount(): number {
    return this.timers.size;
  }

  private sameAddress(n: number, a: Alive): boolean {
    const info = this.ctx.table.info(n);
    return sameIp(info.Addr, a.Addr) && info.Port === a.Port;
  }

  private reclaimable(n: number): boolean {
    const { ctx } = this;
    const t = ctx.table;
    const reclaimMs = ctx.config.deadNodeReclaimTimeMs;
    const expired = reclaimMs > 0 && ctx.nowMs - t.stateChangeMs(n) > reclaimMs;
    const state = t.state(n);
    return state === NodeState.left || (state === NodeState.dead && expired);
  }

  private applyAlive(n: number, a: Alive): void {
    const t = this.ctx.table;
    const info = t.info(n);
    // The same address in another form (IPv4-mapped IPv6) keeps the one we have.
    const keepAddr =
      info.Port === a.Port && sameIp(info.Addr, a.Addr) && !bytesEqual(info.Addr, a.Addr);
    const keepVsn = a.Vsn.length < 6;
    // Usually the news itself, shared with the other cores that heard it.
    t.setInfo(
      n,
      keepAddr || keepVsn
        ? {
            ...a,
            Addr: keepAddr ? info.Addr : a.Addr,
            Port: keepAddr ? info.Port : a.Port,
            Vsn: keepVsn ? info.Vsn : a.Vsn,
          }
        : a,
    );
    t.setIncarnation(n, a.Incarnation);
    if (t.state(n) !== NodeState.alive) t.setState(n, NodeState.alive, this.ctx.nowMs);
  }

  /** Re-announces ourselves alive with an incarnation beating `accused`; costs health. */
  private refute(me: number, accused: number): void {
    let inc = this.nextIncarnation();
    if (accused >= inc) {
      this.incarnation = (accused + 1) >>> 0;
      inc = this.incarnation;
    }
    const t = this.ctx.table;
    t.setIncarnation(me, inc);
    this.ctx.awareness.applyDelta(1);
    const info = t.info(me);
    const body: Alive = {
      Incarnation: inc,
      Node: info.Node,
      Addr: info.Addr,
      Port: info.Port,
      Meta: info.Meta,
      Vsn: info.Vsn,
    };
    broadcast(this.ctx, info.Node, { type: 'alive', body });
  }

  /**
   * A timer that starts at max and reaches min after k = suspicionMult - 2 confirmations (none
   * expected when too few other nodes exist to give them).
   */
  private newSuspicion(from: string): Suspicion {
    const { config, table, nowMs } = this.ctx;
    const n = table.size;
    const k = n - 2 < config.suspicionMult - 2 ? 0 : config.suspicionMult - 2;
    const min = suspicionTimeoutMs(config.suspicionMult, n, config.probeIntervalMs);
    return new Suspicion(from, k, min, config.suspicionMaxTimeoutMult * min, nowMs);
  }

  private expire(name: string, timer: Timer): void {
    this.timers.delete(name);
    const t = this.ctx.table;
    const n = t.slotOf(name);
    if (n === noSlot || t.state(n) !== NodeState.suspect) return;
    if (t.stateChangeMs(n) !== timer.changeMs) return;
    this.deadNode({ Incarnation: t.incarnation(n), Node: name, From: this.ctx.self });
  }

  private emit(type: MemberEventType, n: number): void {
    this.ctx.out.event({ type, member: this.ctx.table.toMember(n) });
  }
}
