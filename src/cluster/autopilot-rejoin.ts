// When a member autopilot removed may come back as a learner. A member is removed when Raft has
// not heard from it for a while, but gossip's failure detection is slower (tens of seconds for a
// few members): a SIGKILLed node can still be 'alive' in gossip right after its removal, and
// adding it back would leave a dead learner until the reap timeout. So a member removed while
// unreachable is added back only on evidence that it is back: its gossip incarnation changed
// (only the node itself raises it, e.g. when a restart refutes the old one), or gossip called it
// failed, left or unknown and now alive again, or the rejoin cooldown has passed. The memory is
// bounded: entries go after the cooldown, and at most maxRemovedRemembered are kept.
import type {
  AutopilotAction,
  AutopilotInput,
  AutopilotMember,
  AutopilotObservation,
  RemovedMember,
} from './autopilot-types.ts';
import { rejoinCooldownOf } from './autopilot-types.ts';

export type RemovedMembers = Readonly<Record<string, RemovedMember>>;

/** More removals than this within one cooldown forget the oldest. */
export const maxRemovedRemembered = 256;

function goneInGossip(m: AutopilotMember | undefined): boolean {
  return m === undefined || m.gossip === 'failed' || m.gossip === 'left' || m.gossip === 'unknown';
}

/** The memory after observing `o`: expired entries dropped, `seenGone` brought up to date. */
export function nextRemoved(prev: RemovedMembers, o: AutopilotObservation): RemovedMembers {
  const cooldownMs = rejoinCooldownOf(o.config);
  const out: Record<string, RemovedMember> = {};
  for (const [id, r] of Object.entries(prev)) {
    if (o.nowMs - r.removedAtMs >= cooldownMs) continue;
    const seenGone = r.seenGone || goneInGossip(o.members.find((m) => m.id === id));
    out[id] = seenGone === r.seenGone ? r : { ...r, seenGone };
  }
  return out;
}

/**
 * The memory after autopilot chose `a` on input `i`: removing a member Raft cannot reach
 * remembers it; removing a reachable one (an extra voter) forgets it, so it comes back at once.
 */
export function afterAction(
  prev: RemovedMembers,
  i: AutopilotInput,
  a: AutopilotAction | null,
): RemovedMembers {
  if (a?.type !== 'remove') return prev;
  const rest = Object.entries(prev).filter(([id]) => id !== a.id);
  if (i.active[a.id] === true) return Object.fromEntries(rest);
  const m = i.members.find((x) => x.id === a.id);
  const entry: RemovedMember = {
    removedAtMs: i.nowMs,
    incarnation: m?.incarnation ?? null,
    seenGone: goneInGossip(m),
  };
  const kept = rest
    .sort(([, x], [, y]) => y.removedAtMs - x.removedAtMs)
    .slice(0, maxRemovedRemembered - 1);
  return { ...Object.fromEntries(kept), [a.id]: entry };
}

/** May alive, non-member `m` be added as a learner? */
export function mayRejoin(i: AutopilotInput, m: AutopilotMember): boolean {
  const r = i.removed[m.id];
  if (r === undefined) return true;
  if (r.seenGone) return true;
  if (r.incarnation !== null && m.incarnation !== null && m.incarnation !== r.incarnation) {
    return true;
  }
  return i.nowMs - r.removedAtMs >= rejoinCooldownOf(i.config);
}
