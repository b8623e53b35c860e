// Autopilot: the leader's membership planner (Consul autopilot's rules, one change at a time).
//
// Interface for the leader loop:
//   const ap = new Autopilot();            // new one (or ap.reset()) whenever this node becomes leader
//   const action = ap.step(observation);   // AutopilotObservation -> AutopilotAction | null
//   // run at most that one action with RaftNode.proposeConfChange, then step again later
//   // (a periodic tick, e.g. every 500 ms; pendingConfChange true while it is uncommitted).
// `step` keeps the per-member health history; `planAutopilot(input)` is the pure planner under it
// (same input, same answer). Types and defaults: ./autopilot-types.ts.
//
// Rules, first match wins:
//  1. a conf change is pending -> nothing;
//  2. fewer counted voters than the target -> promote the best ready learner;
//  3. a voter left, or failed/unknown and unreachable for failedGraceMs -> remove it;
//  4. more voters than the target -> remove the least preferred (unhealthy ones first);
//  5. an alive agent of our cluster that is not a member -> add it as a learner (one removed
//     while unreachable only on evidence that it is back: ./autopilot-rejoin.ts);
//  6. a ready learner tagged consensus while an untagged voter (not us) exists -> promote it
//     (rule 4 then removes the untagged voter);
//  7. a learner failed/left/unknown and unreachable for reapMs -> remove it.
// Why promote a replacement before removing a dead voter (Consul does the reverse): the voter
// count never drops below the target, so a second failure during the swap costs no more than it
// would have before the first one; and a voter wrongly reported dead loses nothing. Every removal
// or promotion is refused unless the healthy voters of the resulting configuration still form its
// quorum, and the leader never removes itself: with one change at a time, autopilot never removes
// a majority and never takes the cluster below quorum on its own.
import {
  comparePreference,
  consensusTag,
  emptyHealthHistory,
  healthyForMs,
  isHealthyNow,
  memberOf,
  nextHealth,
  unhealthyForMs,
} from './autopilot-health.ts';
import type { HealthHistory } from './autopilot-health.ts';
import { afterAction, mayRejoin, nextRemoved } from './autopilot-rejoin.ts';
import type { RemovedMembers } from './autopilot-rejoin.ts';
import type {
  AutopilotAction,
  AutopilotInput,
  AutopilotMember,
  AutopilotObservation,
} from './autopilot-types.ts';

export function planAutopilot(i: AutopilotInput): AutopilotAction | null {
  if (i.pendingConfChange) return null;
  return (
    promoteForTarget(i) ??
    removeDeadVoter(i) ??
    removeExtraVoter(i) ??
    addLearner(i) ??
    promoteForTag(i) ??
    reapLearner(i)
  );
}

/**
 * Keeps the health history and the members removed while unreachable between calls;
 * deterministic (time comes from the observation).
 */
export class Autopilot {
  private history: HealthHistory = emptyHealthHistory;
  private removed: RemovedMembers = {};

  step(o: AutopilotObservation): AutopilotAction | null {
    this.history = nextHealth(this.history, o);
    this.removed = nextRemoved(this.removed, o);
    const input: AutopilotInput = { ...o, ...this.history, removed: this.removed };
    const action = planAutopilot(input);
    this.removed = afterAction(this.removed, input, action);
    return action;
  }

  /** Forget the history (after losing and regaining leadership, ages restart). */
  reset(): void {
    this.history = emptyHealthHistory;
    this.removed = {};
  }
}

function quorumOf(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

function healthyCount(i: AutopilotInput, ids: readonly string[]): number {
  return ids.filter((id) => isHealthyNow(i, id)).length;
}

/** Would the configuration without `id` still have a quorum of healthy voters? */
function canRemoveVoter(i: AutopilotInput, id: string): boolean {
  if (id === i.selfId) return false;
  const rest = i.voters.filter((v) => v !== id);
  return rest.length > 0 && healthyCount(i, rest) >= quorumOf(rest.length);
}

/** Would the configuration with healthy learner `id` promoted have a quorum of healthy voters? */
function canPromote(i: AutopilotInput): boolean {
  return healthyCount(i, i.voters) + 1 >= quorumOf(i.voters.length + 1);
}

/** A voter counts toward the target unless gossip says it is gone or it has been unhealthy long. */
function countsTowardTarget(i: AutopilotInput, id: string): boolean {
  if (isHealthyNow(i, id)) return true;
  const gossip = memberOf(i, id)?.gossip ?? 'unknown';
  if (gossip === 'failed' || gossip === 'left') return false;
  return unhealthyForMs(i, id) < i.config.failedGraceMs;
}

function readyLearners(i: AutopilotInput): string[] {
  return i.learners
    .filter(
      (id) =>
        memberOf(i, id)?.gossip === 'alive' &&
        isHealthyNow(i, id) &&
        healthyForMs(i, id) >= i.config.stabilizationMs,
    )
    .sort((a, b) => byPreference(i, a, b));
}

function byPreference(i: AutopilotInput, a: string, b: string): number {
  return comparePreference(memberOf(i, a), memberOf(i, b), a, b);
}

function hasTag(m: AutopilotMember | undefined): boolean {
  return m?.tags.includes(consensusTag) === true;
}

function promoteForTarget(i: AutopilotInput): AutopilotAction | null {
  const counted = i.voters.filter((v) => countsTowardTarget(i, v)).length;
  if (counted >= i.config.targetVoters) return null;
  const best = readyLearners(i)[0];
  if (best === undefined || !canPromote(i)) return null;
  return {
    type: 'promote',
    id: best,
    reason: `${counted} of ${i.config.targetVoters} target voters are healthy`,
  };
}

/** Why voter (or learner) `id` is gone for good after `graceMs`, or null if it is not. */
function goneReason(i: AutopilotInput, id: string, graceMs: number): string | null {
  if (id === i.selfId) return null;
  const m = memberOf(i, id);
  if (m === undefined) return null;
  const forMs = i.nowMs - m.gossipSinceMs;
  if (m.gossip === 'left' && (i.learners.includes(id) ? forMs > graceMs : true)) {
    return 'left the cluster';
  }
  const lost = m.gossip === 'failed' || m.gossip === 'unknown';
  if (lost && forMs > graceMs && i.active[id] !== true) {
    return `${m.gossip} in gossip for ${forMs} ms`;
  }
  return null;
}

function removeDeadVoter(i: AutopilotInput): AutopilotAction | null {
  for (const id of [...i.voters].sort()) {
    const why = goneReason(i, id, i.config.failedGraceMs);
    if (why !== null && canRemoveVoter(i, id))
      return { type: 'remove', id, reason: `voter ${why}` };
  }
  return null;
}

function removeExtraVoter(i: AutopilotInput): AutopilotAction | null {
  if (i.voters.length <= i.config.targetVoters) return null;
  // Least wanted first: unhealthy before healthy, then reverse preference.
  const order = i.voters
    .filter((v) => v !== i.selfId)
    .sort((a, b) => {
      const ha = isHealthyNow(i, a) ? 1 : 0;
      const hb = isHealthyNow(i, b) ? 1 : 0;
      return ha !== hb ? ha - hb : byPreference(i, b, a);
    });
  const victim = order.find((id) => canRemoveVoter(i, id));
  if (victim === undefined) return null;
  return {
    type: 'remove',
    id: victim,
    reason: `${i.voters.length} voters exceed the target of ${i.config.targetVoters}`,
  };
}

function addLearner(i: AutopilotInput): AutopilotAction | null {
  const inConfig = new Set([...i.voters, ...i.learners]);
  const candidates = i.members
    .filter(
      (m) =>
        m.gossip === 'alive' &&
        m.raftAddr !== null &&
        m.id !== i.selfId &&
        !inConfig.has(m.id) &&
        (m.clusterId === null || m.clusterId === i.clusterId) &&
        mayRejoin(i, m),
    )
    .sort((a, b) => comparePreference(a, b, a.id, b.id));
  const m = candidates[0];
  if (m === undefined || m.raftAddr === null) return null;
  return { type: 'addLearner', id: m.id, raftAddr: m.raftAddr, reason: 'alive in gossip' };
}

function promoteForTag(i: AutopilotInput): AutopilotAction | null {
  if (i.voters.length !== i.config.targetVoters) return null;
  if (healthyCount(i, i.voters) !== i.voters.length) return null;
  const untagged = i.voters.some((v) => v !== i.selfId && !hasTag(memberOf(i, v)));
  if (!untagged) return null;
  const best = readyLearners(i).find((id) => hasTag(memberOf(i, id)));
  if (best === undefined || !canPromote(i)) return null;
  return {
    type: 'promote',
    id: best,
    reason: `tagged ${consensusTag}, replaces an untagged voter`,
  };
}

function reapLearner(i: AutopilotInput): AutopilotAction | null {
  for (const id of [...i.learners].sort()) {
    const why = goneReason(i, id, i.config.reapMs);
    if (why !== null) return { type: 'remove', id, reason: `learner ${why}` };
  }
  return null;
}
