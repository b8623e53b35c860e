// Reconnecting gossip islands (Serf's reconnect): after a long partition each side declares the
// other dead and, once gossip reaps dead members, forgets it; memberlist itself never pushes to
// a member it no longer knows, so {n1,n2} and {n3,n4,n5} would stay split for good. So, now and
// then (every reconnectIntervalMs, even when not alone), the agent push-pulls with ONE address:
// a remembered member that failed (not one that left gracefully), or a --join target that no
// alive member has. A successful exchange merges the two member lists and gossip does the rest.
// Memory is bounded: failed members are forgotten after reconnectTimeoutMs (Serf's
// reconnect_timeout, 72 h by default) and at most maxRememberedMembers are kept (oldest go).
// Pure and clock-free: the agent (gossip-service.ts) and the simulator share it.
import type { MemberState } from '../gossip/core/index.ts';
import type { GossipAddress } from '../gossip/messages.ts';

export const defaultReconnectIntervalMs = 30_000;
export const defaultReconnectTimeoutMs = 72 * 3_600_000;
export const maxRememberedMembers = 256;

/** What reconnect reads of a gossip member. */
export interface ReconnectMember {
  readonly name: string;
  readonly addr: GossipAddress;
  readonly state: MemberState;
}

export interface FailedMember {
  readonly name: string;
  readonly addr: GossipAddress;
  /** When this node first saw it failed (the caller's clock). */
  readonly failedAtMs: number;
}

/** Members seen failed, remembered after gossip reaps them, until they time out. */
export class FailedMembers {
  private readonly timeoutMs: number;
  private readonly max: number;
  private readonly byName = new Map<string, FailedMember>();

  constructor(timeoutMs: number = defaultReconnectTimeoutMs, max: number = maxRememberedMembers) {
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new RangeError(`reconnectTimeoutMs must be > 0, got ${String(timeoutMs)}`);
    }
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`max remembered members must be >= 1, got ${String(max)}`);
    }
    this.timeoutMs = timeoutMs;
    this.max = max;
  }

  /**
   * Takes in gossip's current member list: failed members are remembered (from the first time
   * they are seen failed), alive, suspect and left ones forgotten; members gossip no longer
   * lists stay remembered. Then reaps timed-out entries and keeps the newest `max`.
   */
  observe(members: readonly ReconnectMember[], selfName: string, nowMs: number): void {
    for (const m of members) {
      if (m.name === selfName) continue;
      if (m.state !== 'dead') {
        this.byName.delete(m.name);
        continue;
      }
      const had = this.byName.get(m.name);
      this.byName.set(m.name, { name: m.name, addr: m.addr, failedAtMs: had?.failedAtMs ?? nowMs });
    }
    for (const [name, f] of this.byName) {
      if (nowMs - f.failedAtMs >= this.timeoutMs) this.byName.delete(name);
    }
    if (this.byName.size > this.max) {
      const oldest = [...this.byName.values()].sort((a, b) => a.failedAtMs - b.failedAtMs);
      for (const f of oldest.slice(0, this.byName.size - this.max)) this.byName.delete(f.name);
    }
  }

  list(): FailedMember[] {
    return [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  get size(): number {
    return this.byName.size;
  }
}

export interface ReconnectInput {
  readonly selfName: string;
  readonly selfAddr: GossipAddress;
  readonly members: readonly ReconnectMember[];
  readonly failed: readonly FailedMember[];
  /** --join targets, resolved. */
  readonly joinTargets: readonly GossipAddress[];
  /** Uniform in [0, 1): which candidate to try. */
  readonly random: () => number;
}

function key(a: GossipAddress): string {
  return `${a.host}:${a.port}`;
}

/**
 * The one address to push-pull with this round, or null: a remembered failed member or a join
 * target, neither alive (nor suspect) in gossip by name or by address, nor ourselves.
 */
export function pickReconnectTarget(i: ReconnectInput): GossipAddress | null {
  const live = i.members.filter((m) => m.state === 'alive' || m.state === 'suspect');
  const liveNames = new Set(live.map((m) => m.name));
  const taken = new Set([key(i.selfAddr), ...live.map((m) => key(m.addr))]);
  const out = new Map<string, GossipAddress>();
  for (const f of i.failed) {
    if (f.name === i.selfName || liveNames.has(f.name) || taken.has(key(f.addr))) continue;
    out.set(key(f.addr), f.addr);
  }
  for (const t of i.joinTargets) if (!taken.has(key(t))) out.set(key(t), t);
  const candidates = [...out.keys()].sort();
  if (candidates.length === 0) return null;
  const at = Math.min(candidates.length - 1, Math.floor(i.random() * candidates.length));
  return out.get(candidates[at] ?? '') ?? null;
}
