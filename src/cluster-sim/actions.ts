// What a leader's membership change does to the voters (for the quorum check), and the
// injected autopilot bug. Actions become Raft changes through the leader loop's own
// confChangeOf (src/cluster/leader-loop.ts).
import type { AutopilotAction, AutopilotObservation } from '../cluster/autopilot-types.ts';
import { applyChange, type ConfChange, type Config } from '../raft/index.ts';

/** The voters after `change`, or null when it leaves the voters as they are. */
export function voterChangeOf(config: Config, change: ConfChange): string[] | null {
  if (change.type === 'addLearner') return null;
  if (change.type === 'remove' && !config.voters.includes(change.node)) return null;
  return [...applyChange(config, change).voters];
}

/**
 * `--bug removeWithoutQuorumCheck`: a leader that, while some other voter does not answer,
 * removes the lowest-id voter that does, with no quorum check: exactly what autopilot's
 * canRemoveVoter exists to refuse. Proves the simulator's quorum check can fail.
 */
export function planBuggyRemoval(o: AutopilotObservation): AutopilotAction | null {
  const others = o.voters.filter((v) => v !== o.selfId);
  if (!others.some((v) => o.active[v] !== true)) return null;
  const victim = others.filter((v) => o.active[v] === true).sort()[0];
  if (victim === undefined) return null;
  return { type: 'remove', id: victim, reason: 'bug removeWithoutQuorumCheck' };
}
