// The leader's duties, every tickMs while this node leads: run autopilot over Raft's view and
// gossip's, carry out at most one membership change at a time, keep the replicated members
// table in step with gossip (only changed rows, a bounded number per tick), and make sure the
// cluster has an id. Followers do nothing here.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ConfChange, RaftStatus } from '../raft/index.ts';
import {
  sameMemberFields,
  type Command,
  type MemberFields,
  type MemberStatus,
} from '../state/index.ts';
import { Autopilot } from './autopilot.ts';
import { answeredLeader } from './autopilot-health.ts';
import type {
  AutopilotAction,
  AutopilotConfig,
  AutopilotMember,
  AutopilotObservation,
  GossipState,
} from './autopilot-types.ts';
import type { GossipPeer } from './gossip-service.ts';
import type { AgentMeta } from './meta.ts';

/** The Raft membership change that carries out an autopilot action. */
export function confChangeOf(a: AutopilotAction): ConfChange {
  switch (a.type) {
    case 'addLearner':
      return { type: 'addLearner', node: a.id, address: a.raftAddr };
    case 'promote':
      return { type: 'promote', node: a.id };
    case 'remove':
      return { type: 'remove', node: a.id };
  }
}

/** A members-table row as the loop compares it (the table's own row type has more fields). */
export type MemberRowView = MemberFields;

export interface LeaderLoopComponents {
  readonly selfId: string;
  readonly raftStatus: () => RaftStatus;
  readonly gossipPeers: () => readonly GossipPeer[];
  readonly clusterId: () => string | null;
  readonly memberRows: () => readonly MemberRowView[];
  readonly propose: (c: Command, timeoutMs: number) => Promise<unknown>;
  readonly proposeConfChange: (c: ConfChange, timeoutMs: number) => Promise<unknown>;
  readonly autopilot: AutopilotConfig;
  readonly logger: Logger;
  /** Monotonic ms, the clock of GossipPeer.stateChangeMs. */
  readonly nowMs?: () => number;
}

export const leaderTickMs = 500;
const changeTimeoutMs = 10_000;
/** member.upsert/remove proposals in flight at most. */
const maxMemberProposals = 8;

export function gossipStateOf(p: GossipPeer): GossipState {
  switch (p.state) {
    case 'alive':
      return 'alive';
    case 'suspect':
      return 'suspect';
    case 'dead':
      return 'failed';
    case 'left':
      return 'left';
  }
}

function memberStatusOf(p: GossipPeer): MemberStatus {
  return p.state === 'dead' ? 'failed' : p.state;
}

/** The members-table row gossip implies for `p` (null for non-Sappers peers). */
export function rowFor(p: GossipPeer, meta: AgentMeta): MemberRowView {
  return {
    id: p.name,
    raftAddr: meta.raftAddr,
    httpAddr: meta.httpAddr,
    gossipAddr: `${p.addr.host}:${p.addr.port}`,
    tags: [...meta.tags],
    cpuFreeMilli: meta.cpuFreeMilli,
    memFreeBytes: meta.memFreeBytes,
    status: memberStatusOf(p),
  };
}

/**
 * Members-table commands that bring `rows` in line with gossip: an upsert per Sappers peer of
 * this cluster whose row differs, a remove per row whose peer gossip has forgotten after seeing
 * it dead or left (`gone`) and that is not in the Raft configuration.
 */
export function memberCommands(
  peers: readonly GossipPeer[],
  rows: readonly MemberRowView[],
  clusterId: string | null,
  gone: ReadonlySet<string>,
  configMembers: ReadonlySet<string>,
  resourcesDue: (id: string) => boolean = () => true,
): Command[] {
  const out: Command[] = [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const p of peers) {
    const meta = p.meta;
    if (meta === null) continue;
    if (meta.clusterId !== null && clusterId !== null && meta.clusterId !== clusterId) continue;
    const want = rowFor(p, meta);
    const have = byId.get(p.name);
    if (have !== undefined && sameMemberFields(have, want)) continue;
    // Free resources drift all the time: they alone update a row only now and then.
    if (
      have !== undefined &&
      sameMemberFields(have, { ...want, ...resourcesOf(have) }) &&
      !resourcesDue(p.name)
    )
      continue;
    out.push({ t: 'member.upsert', ...want });
  }
  const listed = new Set(peers.map((p) => p.name));
  for (const r of rows) {
    if (!listed.has(r.id) && gone.has(r.id) && !configMembers.has(r.id)) {
      out.push({ t: 'member.remove', id: r.id });
    }
  }
  return out;
}

function resourcesOf(r: MemberRowView): { cpuFreeMilli: number; memFreeBytes: number } {
  return { cpuFreeMilli: r.cpuFreeMilli, memFreeBytes: r.memFreeBytes };
}

/** A row changed only in free resources is rewritten at most this often. */
export const resourceUpdateMs = 60_000;

export class LeaderLoop {
  private readonly c: LeaderLoopComponents;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private autopilot = new Autopilot();
  private ledTerm = -1;
  private confChange: Promise<unknown> | null = null;
  private memberProposals = 0;
  private clusterInit: Promise<unknown> | null = null;
  /** When each config member was first found missing from gossip. */
  private readonly missingSince = new Map<string, number>();
  /** Peers last seen dead or left: their rows go once gossip forgets them. */
  private readonly lastSeenGone = new Set<string>();
  /** When each member's row was last written by this leader. */
  private readonly lastUpsertMs = new Map<string, number>();

  constructor(c: LeaderLoopComponents) {
    this.c = c;
    this.now = c.nowMs ?? ((): number => Math.floor(performance.now()));
  }

  start(): void {
    this.timer ??= setInterval(() => this.tick(), leaderTickMs);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One round (exported for tests; the timer calls it). */
  tick(): void {
    const s = this.c.raftStatus();
    const peers = this.c.gossipPeers();
    this.trackGone(peers);
    if (s.role !== 'leader') {
      this.ledTerm = -1;
      return;
    }
    if (this.ledTerm !== s.term) {
      this.ledTerm = s.term;
      this.autopilot = new Autopilot();
    }
    this.ensureClusterId();
    this.syncMembers(peers, s);
    if (this.confChange !== null) return;
    const action = this.autopilot.step(this.observe(s, peers));
    if (action !== null) this.execute(action);
  }

  observe(s: RaftStatus, peers: readonly GossipPeer[]): AutopilotObservation {
    const now = this.now();
    const members: AutopilotMember[] = [];
    const seen = new Set<string>();
    for (const p of peers) {
      if (p.meta === null) continue;
      seen.add(p.name);
      members.push({
        id: p.name,
        raftAddr: p.meta.raftAddr,
        gossip: gossipStateOf(p),
        gossipSinceMs: p.stateChangeMs,
        tags: p.meta.tags,
        cpuFreeMilli: p.meta.cpuFreeMilli,
        memFreeBytes: p.meta.memFreeBytes,
        clusterId: p.meta.clusterId,
        incarnation: p.incarnation ?? null,
      });
    }
    const config = [...s.config.voters, ...s.config.learners];
    for (const id of [...this.missingSince.keys()]) {
      if (seen.has(id) || !config.includes(id)) this.missingSince.delete(id);
    }
    for (const id of config) {
      if (seen.has(id)) continue;
      const since = this.missingSince.get(id) ?? now;
      this.missingSince.set(id, since);
      members.push({
        id,
        raftAddr: s.config.addresses?.[id] ?? null,
        gossip: 'unknown',
        gossipSinceMs: since,
        tags: [],
        cpuFreeMilli: 0,
        memFreeBytes: 0,
        clusterId: null,
        incarnation: null,
      });
    }
    const match: Record<string, number> = {};
    const active: Record<string, boolean> = {};
    for (const [id, pr] of Object.entries(s.progress ?? {})) {
      match[id] = pr.match;
      active[id] = answeredLeader(pr);
    }
    return {
      nowMs: now,
      selfId: this.c.selfId,
      clusterId: this.c.clusterId(),
      voters: s.config.voters,
      learners: s.config.learners,
      match,
      lastIndex: s.lastIndex,
      active,
      pendingConfChange: this.confChange !== null,
      members,
      config: this.c.autopilot,
    };
  }

  private trackGone(peers: readonly GossipPeer[]): void {
    const listed = new Set(peers.map((p) => p.name));
    for (const id of [...this.lastSeenGone]) if (listed.has(id)) this.lastSeenGone.delete(id);
    for (const p of peers) {
      if (p.state === 'dead' || p.state === 'left') this.lastSeenGone.add(p.name);
    }
  }

  private execute(a: AutopilotAction): void {
    const change = confChangeOf(a);
    const verb = { addLearner: 'adding replica', promote: 'promoting', remove: 'removing' }[a.type];
    this.c.logger.info(
      { autopilot: a.type, node: a.id, reason: a.reason },
      `autopilot: ${verb} ${a.id}`,
    );
    this.confChange = this.c
      .proposeConfChange(change, changeTimeoutMs)
      .then(
        () =>
          this.c.logger.info({ autopilot: a.type, node: a.id }, `autopilot: ${verb} ${a.id} done`),
        (err: unknown) =>
          this.c.logger.warn(
            { autopilot: a.type, node: a.id, err },
            `autopilot: ${verb} ${a.id} failed`,
          ),
      )
      .finally(() => {
        this.confChange = null;
      });
  }

  private ensureClusterId(): void {
    if (this.c.clusterId() !== null || this.clusterInit !== null) return;
    const clusterId = randomUUID();
    this.clusterInit = this.c
      .propose({ t: 'cluster.init', clusterId }, changeTimeoutMs)
      .then(
        () => this.c.logger.info({ clusterId: this.c.clusterId() }, 'cluster id set'),
        (err: unknown) => this.c.logger.warn({ err }, 'setting the cluster id failed'),
      )
      .finally(() => {
        this.clusterInit = null;
      });
  }

  private syncMembers(peers: readonly GossipPeer[], s: RaftStatus): void {
    if (this.memberProposals > 0) return; // one batch at a time: the next sees its effect
    const now = this.now();
    const config = new Set([...s.config.voters, ...s.config.learners]);
    const cmds = memberCommands(
      peers,
      this.c.memberRows(),
      this.c.clusterId(),
      this.lastSeenGone,
      config,
      (id) => now - (this.lastUpsertMs.get(id) ?? -Infinity) >= resourceUpdateMs,
    ).slice(0, maxMemberProposals);
    for (const cmd of cmds) {
      if (cmd.t === 'member.upsert') this.lastUpsertMs.set(cmd.id, now);
      else if (cmd.t === 'member.remove') this.lastUpsertMs.delete(cmd.id);
      this.memberProposals++;
      this.c
        .propose(cmd, changeTimeoutMs)
        .catch((err: unknown) => this.c.logger.debug({ err, cmd: cmd.t }, 'member update failed'))
        .finally(() => {
          this.memberProposals--;
        });
    }
  }
}
