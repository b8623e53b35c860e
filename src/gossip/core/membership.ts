// memberlist's state rules: how alive, suspect and dead news (from packets, from push/pull, or
// from our own failed probes) changes what we believe, when we re-gossip it, and how we refute
// news about ourselves. Newer incarnations win; at equal incarnation suspect beats alive and
// dead beats suspect. A node's own "dead" about itself means it left.
import { NodeState, type Alive, type Dead, type PushNodeState, type Suspect } from '../messages.ts';
import { bytesEqual, sameIp } from './addr.ts';
import { broadcast, type CoreContext } from './context.ts';
import { deadOrLeft, NodeEntry, toMember } from './node-table.ts';
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
    const isLocal = a.Node === ctx.self;
    // Fast path for the common case: news we already have.
    const known = ctx.table.get(a.Node);
    if (known !== undefined && !isLocal && a.Incarnation <= known.incarnation) {
      if (known.port === a.Port && sameIp(known.addr, a.Addr)) return;
    }
    if ((this.left && isLocal) || a.Node === '' || !validVsn(a.Vsn)) return;
    if (a.Addr.length !== 4 && a.Addr.length !== 16) return; // not an IP
    const found = this.admit(a);
    if (found === null) return;
    const { n, reclaim } = found;
    if (a.Incarnation <= n.incarnation && !isLocal && !reclaim) return;
    if (a.Incarnation < n.incarnation && isLocal) return;
    this.timers.delete(a.Node);
    const oldState = n.state;
    const oldMeta = n.meta;
    if (isLocal && !bootstrap) {
      const same = a.Incarnation === n.incarnation && bytesEqual(a.Meta, n.meta);
      if (same && vsnEqual(a.Vsn, n.vsn)) return;
      this.refute(n, a.Incarnation);
    } else {
      broadcast(ctx, a.Node, aliveMessage(a));
      this.applyAlive(n, a);
    }
    if (oldState === NodeState.dead || oldState === NodeState.left) this.emit('join', n);
    else if (!bytesEqual(oldMeta, n.meta)) this.emit('update', n);
    else if (oldState === NodeState.suspect && n.state === NodeState.alive) this.emit('alive', n);
  }

  /** News that `s.Node` is suspected by `s.From` (possibly ourselves, after a failed probe). */
  suspectNode(s: Suspect): void {
    const { ctx } = this;
    const n = ctx.table.get(s.Node);
    if (n === undefined || s.Incarnation < n.incarnation) return;
    const timer = this.timers.get(s.Node);
    if (timer !== undefined) {
      // Independent confirmations shorten the timer, and are worth passing on.
      if (timer.suspicion.confirm(s.From)) {
        broadcast(ctx, s.Node, { type: 'suspect', body: s });
        if (timer.suspicion.deadlineMs() <= ctx.nowMs) this.expire(s.Node, timer);
      }
      return;
    }
    if (n.state !== NodeState.alive) return;
    if (n.name === ctx.self) {
      this.refute(n, s.Incarnation);
      return;
    }
    broadcast(ctx, s.Node, { type: 'suspect', body: s });
    n.incarnation = s.Incarnation;
    n.state = NodeState.suspect;
    n.stateChangeMs = ctx.nowMs;
    this.timers.set(s.Node, { suspicion: this.newSuspicion(s.From), changeMs: ctx.nowMs });
    this.emit('suspect', n);
  }

  /** News that `d.Node` is dead; when From equals Node, that it left. */
  deadNode(d: Dead): void {
    const { ctx } = this;
    const n = ctx.table.get(d.Node);
    if (n === undefined || d.Incarnation < n.incarnation) return;
    this.timers.delete(d.Node);
    if (deadOrLeft(n)) return;
    if (n.name === ctx.self) {
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
    n.incarnation = d.Incarnation;
    n.state = d.Node === d.From ? NodeState.left : NodeState.dead;
    n.stateChangeMs = ctx.nowMs;
    this.emit(n.state === NodeState.left ? 'leave' : 'fail', n);
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

  /** The member for `a.Node` (added if new), or null when the news conflicts with it. */
  private admit(a: Alive): { n: NodeEntry; reclaim: boolean } | null {
    const { ctx } = this;
    const known = ctx.table.get(a.Node);
    if (known === undefined) {
      const info = a.Vsn.length >= 6 ? a : { ...a, Vsn: zeroVsn };
      const n = new NodeEntry(info, 0, NodeState.dead, ctx.nowMs);
      ctx.table.add(n);
      return { n, reclaim: false };
    }
    if (sameIp(known.addr, a.Addr) && known.port === a.Port) return { n: known, reclaim: false };
    // Another address claims a known name: allowed only to replace a left node, or one dead
    // for longer than deadNodeReclaimTime.
    const reclaimMs = ctx.config.deadNodeReclaimTimeMs;
    const reclaimable = reclaimMs > 0 && ctx.nowMs - known.stateChangeMs > reclaimMs;
    if (known.state === NodeState.left || (known.state === NodeState.dead && reclaimable)) {
      return { n: known, reclaim: true };
    }
    return null;
  }

  private applyAlive(n: NodeEntry, a: Alive): void {
    // The same address in another form (IPv4-mapped IPv6) keeps the one we have.
    const keepAddr = n.port === a.Port && sameIp(n.addr, a.Addr) && !bytesEqual(n.addr, a.Addr);
    const keepVsn = a.Vsn.length < 6;
    // Usually the news itself, shared with the other cores that heard it.
    n.info =
      keepAddr || keepVsn
        ? {
            ...a,
            Addr: keepAddr ? n.addr : a.Addr,
            Port: keepAddr ? n.port : a.Port,
            Vsn: keepVsn ? n.vsn : a.Vsn,
          }
        : a;
    n.incarnation = a.Incarnation;
    if (n.state !== NodeState.alive) {
      n.state = NodeState.alive;
      n.stateChangeMs = this.ctx.nowMs;
    }
  }

  /** Re-announces ourselves alive with an incarnation beating `accused`; costs health. */
  private refute(me: NodeEntry, accused: number): void {
    let inc = this.nextIncarnation();
    if (accused >= inc) {
      this.incarnation = (accused + 1) >>> 0;
      inc = this.incarnation;
    }
    me.incarnation = inc;
    this.ctx.awareness.applyDelta(1);
    const body: Alive = {
      Incarnation: inc,
      Node: me.name,
      Addr: me.addr,
      Port: me.port,
      Meta: me.meta,
      Vsn: me.vsn,
    };
    broadcast(this.ctx, me.name, { type: 'alive', body });
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
    const n = this.ctx.table.get(name);
    if (n?.state !== NodeState.suspect || n.stateChangeMs !== timer.changeMs) return;
    this.deadNode({ Incarnation: n.incarnation, Node: name, From: this.ctx.self });
  }

  private emit(type: MemberEventType, n: NodeEntry): void {
    this.ctx.out.event({ type, member: toMember(n) });
  }
}
