// What must hold once every fault has healed (and stays so): exactly one cluster with one
// leader; every agent that is up belongs to it (voter or replica); the voters are up and there
// are min(--voters, agents up) of them; agents tagged consensus are voters before untagged ones
// (the leader itself aside: autopilot never removes itself).
import { consensusTag } from '../cluster/index.ts';
import type { World } from './world.ts';

/** Null when the cluster looks as autopilot should leave it, else what is wrong. */
export function livenessProblem(w: World): string | null {
  const up = w.agents.filter((a) => a.up);
  if (up.length === 0) return 'no agent is up';
  const leaders = up.filter((a) => a.raft?.role === 'leader');
  if (leaders.length !== 1) {
    return `${leaders.length} leaders among agents up: [${leaders.map((a) => a.id).join(',')}]`;
  }
  const leader = leaders[0];
  const host = leader?.raft;
  if (leader === undefined || host === undefined || host === null) return 'no leader';
  const clusterId = host.state.clusterId;
  if (clusterId === null) return `leader ${leader.id} has no cluster id yet`;
  const others = up.filter((a) => a.raft?.state.clusterId !== clusterId).map((a) => a.id);
  if (others.length > 0)
    return `agents up but not (yet) in cluster ${clusterId}: [${others.join(',')}]`;
  if (w.checks.originCount() !== 1) return `${w.checks.originCount()} initial configurations`;
  const s = host.core.status();
  const members = new Set([...s.config.voters, ...s.config.learners]);
  const outside = up.filter((a) => !members.has(a.id)).map((a) => a.id);
  if (outside.length > 0) return `agents up but not in the configuration: [${outside.join(',')}]`;
  const downVoters = s.config.voters.filter((v) => w.agent(v)?.up !== true);
  if (downVoters.length > 0) return `voters down: [${downVoters.join(',')}]`;
  const want = Math.min(w.scenario.autopilot.targetVoters, up.length);
  if (s.config.voters.length !== want) {
    return `${s.config.voters.length} voters [${s.config.voters.join(',')}], want ${want}`;
  }
  const tagged = (id: string): boolean => w.agent(id)?.spec.tags.includes(consensusTag) === true;
  const untaggedVoter = s.config.voters.find((v) => v !== leader.id && !tagged(v));
  const taggedLearner = s.config.learners.find((l) => tagged(l) && w.agent(l)?.up === true);
  if (untaggedVoter !== undefined && taggedLearner !== undefined) {
    return `untagged voter ${untaggedVoter} while ${taggedLearner} (consensus) is a replica`;
  }
  return null;
}
