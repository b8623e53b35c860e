// The first log a bootstrapping agent writes on its empty disk, as src/agent/raft-stack.ts's
// writeBootstrapLog writes it: a configuration entry with the chosen voters (committed as
// written, since every voter starts from it) and the cluster id, which commits with the first
// leader's no-op (or at once for a single voter).
import type { Entry, HardState } from '../raft/index.ts';
import { encodeCommand } from '../state/index.ts';

export interface BootstrapLog {
  readonly entries: readonly Entry[];
  readonly hardState: HardState;
}

export function bootstrapLog(
  selfId: string,
  voters: readonly { readonly id: string; readonly raftAddr: string }[],
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
  const commit = voters.length === 1 ? 2 : 1;
  return { entries, hardState: { term: 1, vote: selfId, commit } };
}
