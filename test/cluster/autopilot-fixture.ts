// Builders for autopilot inputs: a small world of members described compactly.
import type {
  AutopilotConfig,
  AutopilotInput,
  AutopilotMember,
  GossipState,
} from '../../src/cluster/index.ts';
import type { RemovedMember } from '../../src/cluster/autopilot-types.ts';
import { isHealthyNow } from '../../src/cluster/autopilot-health.ts';

export const testConfig: AutopilotConfig = {
  targetVoters: 3,
  stabilizationMs: 10_000,
  maxTrailingLogs: 250,
  failedGraceMs: 5_000,
  reapMs: 60_000,
};

export interface MemberSpec {
  gossip?: GossipState;
  gossipSinceMs?: number;
  tags?: string[];
  cpu?: number;
  mem?: number;
  clusterId?: string | null;
  raftAddr?: string | null;
  /** Gossip incarnation; default 1. */
  incarnation?: number | null;
  /** Raft view (leader's progress). Defaults: active, caught up, healthy since 0. */
  active?: boolean;
  match?: number;
  healthySinceMs?: number;
  unhealthySinceMs?: number;
  /** Leave out of the gossip member list entirely. */
  absent?: boolean;
}

export interface World {
  nowMs?: number;
  voters: string[];
  learners?: string[];
  members: Record<string, MemberSpec>;
  lastIndex?: number;
  pending?: boolean;
  config?: Partial<AutopilotConfig>;
  clusterId?: string | null;
  /** Members autopilot removed while unreachable (default none). */
  removed?: Record<string, RemovedMember>;
}

/** n1 is always the leader (selfId). Health history is derived from the specs. */
export function input(w: World): AutopilotInput {
  const nowMs = w.nowMs ?? 100_000;
  const lastIndex = w.lastIndex ?? 1_000;
  const members: AutopilotMember[] = [];
  const match: Record<string, number> = {};
  const active: Record<string, boolean> = {};
  const healthySinceMs: Record<string, number> = {};
  const unhealthySinceMs: Record<string, number> = {};
  for (const [id, s] of Object.entries(w.members)) {
    if (s.absent !== true) {
      members.push({
        id,
        raftAddr: s.raftAddr === undefined ? `127.0.0.1:${id}` : s.raftAddr,
        gossip: s.gossip ?? 'alive',
        gossipSinceMs: s.gossipSinceMs ?? 0,
        tags: s.tags ?? [],
        cpuFreeMilli: s.cpu ?? 1000,
        memFreeBytes: s.mem ?? 1e9,
        clusterId: s.clusterId === undefined ? 'c1' : s.clusterId,
        incarnation: s.incarnation === undefined ? 1 : s.incarnation,
      });
    }
    match[id] = s.match ?? lastIndex;
    active[id] = s.active ?? true;
  }
  const base: AutopilotInput = {
    nowMs,
    selfId: 'n1',
    clusterId: w.clusterId === undefined ? 'c1' : w.clusterId,
    voters: w.voters,
    learners: w.learners ?? [],
    match,
    lastIndex,
    active,
    healthySinceMs,
    unhealthySinceMs,
    removed: w.removed ?? {},
    pendingConfChange: w.pending ?? false,
    members,
    config: { ...testConfig, ...w.config },
  };
  // The history must agree with current health, as `nextHealth` keeps it.
  for (const [id, s] of Object.entries(w.members)) {
    if (isHealthyNow(base, id)) healthySinceMs[id] = s.healthySinceMs ?? 0;
    else unhealthySinceMs[id] = s.unhealthySinceMs ?? 0;
  }
  return base;
}
