// The first log of a new cluster, as the bootstrapping agent writes it on its empty disk: a
// configuration entry with the chosen voters (hashicorp's BootstrapCluster; committed as written,
// since every voter starts from it) and the cluster id, which commits with the first leader's
// no-op (or at once for a single voter). Pure: the agent (src/agent/raft-stack.ts) persists it,
// the simulator (src/cluster-sim/agent.ts) stores it on its in-memory disk.
import type { Entry, HardState } from '../raft/index.ts';
import { encodeCommand } from '../state/index.ts';

export interface BootstrapVoter {
  readonly id: string;
  readonly raftAddr: string;
}

export interface BootstrapLog {
  readonly entries: readonly Entry[];
  readonly hardState: HardState;
}

/** Throws if `voters` does not include `selfId`. `nowMs` stamps the cluster.init command. */
export function bootstrapEntries(
  selfId: string,
  voters: readonly BootstrapVoter[],
  clusterId: string,
  nowMs: number,
): BootstrapLog {
  const self = voters.find((v) => v.id === selfId);
  if (self === undefined) throw new Error(`bootstrap voters must include ${selfId}`);
  const addresses: Record<string, string> = {};
  for (const v of voters) addresses[v.id] = v.raftAddr;
  const config = { voters: voters.map((v) => v.id).sort(), learners: [], addresses };
  const entries: Entry[] = [
    {
      type: 'conf',
      term: 1,
      index: 1,
      change: { type: 'addVoter', node: selfId, address: self.raftAddr },
      config,
    },
    {
      type: 'normal',
      term: 1,
      index: 2,
      data: encodeCommand({ t: 'cluster.init', clusterId }, () => nowMs),
    },
  ];
  // A lone voter's log is committed as written; with others, the id commits with a leader.
  const commit = voters.length === 1 ? 2 : 1;
  return { entries, hardState: { term: 1, vote: selfId, commit } };
}
