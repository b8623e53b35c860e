// What a stopping agent (SIGTERM) does about its membership. A replica always leaves: gossip
// says so and it asks the leader to remove it. A voter leaves only when a replacement exists
// (more voters than --voters, or a live replica autopilot can promote) and the voters left
// behind keep a live quorum; otherwise it stays a voter and stops quietly, like a crash, so a
// restart (the usual reason for SIGTERM) resumes as a voter instead of as a replica waiting to
// be promoted, and the cluster never shrinks to a single voter by a series of restarts.

export interface DepartureInput {
  readonly selfId: string;
  readonly voters: readonly string[];
  readonly learners: readonly string[];
  /** --voters. */
  readonly targetVoters: number;
  /** Gossip believes the agent alive. */
  readonly isAlive: (id: string) => boolean;
}

export type Departure =
  | { readonly leave: true; readonly reason: string }
  | { readonly leave: false; readonly reason: string };

export function planDeparture(i: DepartureInput): Departure {
  if (i.learners.includes(i.selfId)) return { leave: true, reason: 'a replica' };
  if (!i.voters.includes(i.selfId)) return { leave: true, reason: 'not in the configuration' };
  const rest = i.voters.filter((v) => v !== i.selfId);
  const live = rest.filter((v) => i.isAlive(v)).length;
  if (rest.length === 0) return { leave: false, reason: 'the only voter' };
  if (live < Math.floor(rest.length / 2) + 1) {
    return { leave: false, reason: 'the other voters would not form a live quorum' };
  }
  const spare = i.learners.some((l) => i.isAlive(l));
  if (rest.length < i.targetVoters && !spare) {
    return { leave: false, reason: 'no replica could replace this voter' };
  }
  return { leave: true, reason: spare ? 'a replica can replace this voter' : 'voters to spare' };
}
