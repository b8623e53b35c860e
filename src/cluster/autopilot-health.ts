// Member health as autopilot sees it, and the history of when it last changed.
import type { AutopilotInput, AutopilotMember, AutopilotObservation } from './autopilot-types.ts';

/** The consensus tag: members carrying it are promoted before untagged ones. */
export const consensusTag = 'consensus';

/** What autopilot reads of the leader's progress for one peer (`RaftStatus.progress[id]`). */
export interface PeerProgress {
  readonly match: number;
  readonly state: string;
  readonly recentActive: boolean;
}

/**
 * Whether a peer counts as active for autopilot: it answered THIS leader (a new leader's
 * progress starts at match 0 in probe state, so match > 0 or 'replicate' means an answer came
 * in this term) and did so within an election timeout. Raft's recentActive alone is not enough:
 * a new leader marks every peer active when it takes over, so for one election timeout a dead
 * voter or a learner cut off since before the term would look healthy.
 */
export function answeredLeader(p: PeerProgress): boolean {
  return p.recentActive && (p.match > 0 || p.state === 'replicate');
}

/**
 * Healthy = the leader itself, or a member that answered the leader within an election timeout,
 * is not failed or left in gossip, and trails the leader's log by at most maxTrailingLogs.
 */
export function isHealthyNow(o: AutopilotObservation, id: string): boolean {
  if (id === o.selfId) return true;
  if (o.active[id] !== true) return false;
  const gossip = memberOf(o, id)?.gossip ?? 'unknown';
  if (gossip === 'failed' || gossip === 'left') return false;
  return (o.match[id] ?? 0) >= o.lastIndex - o.config.maxTrailingLogs;
}

export interface HealthHistory {
  readonly healthySinceMs: Readonly<Record<string, number>>;
  readonly unhealthySinceMs: Readonly<Record<string, number>>;
}

export const emptyHealthHistory: HealthHistory = { healthySinceMs: {}, unhealthySinceMs: {} };

/** The history after observing `o`: keeps start times of unchanged states, starts new ones now. */
export function nextHealth(prev: HealthHistory, o: AutopilotObservation): HealthHistory {
  const healthySinceMs: Record<string, number> = {};
  const unhealthySinceMs: Record<string, number> = {};
  for (const id of trackedIds(o)) {
    if (isHealthyNow(o, id)) healthySinceMs[id] = prev.healthySinceMs[id] ?? o.nowMs;
    else unhealthySinceMs[id] = prev.unhealthySinceMs[id] ?? o.nowMs;
  }
  return { healthySinceMs, unhealthySinceMs };
}

function trackedIds(o: AutopilotObservation): string[] {
  const ids = new Set<string>([...o.voters, ...o.learners]);
  for (const m of o.members) ids.add(m.id);
  return [...ids].sort();
}

export function memberOf(o: AutopilotObservation, id: string): AutopilotMember | undefined {
  return o.members.find((m) => m.id === id);
}

/** How long `id` has been healthy (0 if it is not). */
export function healthyForMs(i: AutopilotInput, id: string): number {
  const since = i.healthySinceMs[id];
  return since === undefined ? 0 : i.nowMs - since;
}

/** How long `id` has been unhealthy (0 if it is not). */
export function unhealthyForMs(i: AutopilotInput, id: string): number {
  const since = i.unhealthySinceMs[id];
  return since === undefined ? 0 : i.nowMs - since;
}

/**
 * Preference order for becoming (and staying) a voter: consensus tag, then most free CPU, then
 * most free memory, then the smaller id. Negative when `a` is preferred. Unknown members rank last.
 */
export function comparePreference(
  a: AutopilotMember | undefined,
  b: AutopilotMember | undefined,
  aId: string,
  bId: string,
): number {
  const tagA = a?.tags.includes(consensusTag) === true ? 0 : 1;
  const tagB = b?.tags.includes(consensusTag) === true ? 0 : 1;
  if (tagA !== tagB) return tagA - tagB;
  const cpu = (b?.cpuFreeMilli ?? -1) - (a?.cpuFreeMilli ?? -1);
  if (cpu !== 0) return cpu;
  const mem = (b?.memFreeBytes ?? -1) - (a?.memFreeBytes ?? -1);
  if (mem !== 0) return mem;
  return aId < bId ? -1 : aId > bId ? 1 : 0;
}
