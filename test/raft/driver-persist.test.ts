import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RaftWrite } from '../../src/raft/index.ts';
import { driverCluster, until } from './driver-cluster.ts';

/** A Ready that changes nothing durable but the commit index. */
function commitOnly(rd: RaftWrite, prevTerm: number, prevVote: string | null): boolean {
  const hs = rd.hardState;
  return (
    rd.entries.length === 0 &&
    rd.snapshot === null &&
    hs !== null &&
    hs.term === prevTerm &&
    hs.vote === prevVote
  );
}

test('a commit-index-only hard state is not waited for: replication goes on while it is written', async () => {
  // etcd's MustSync rule: only entries, snapshots, term and vote must be durable before the
  // node goes on. Storage that never finishes commit-only writes must not stall the cluster.
  let hungWrites = 0;
  const cluster = driverCluster(1, (mem) => {
    let term = 0;
    let vote: string | null = null;
    return (rd: RaftWrite): Promise<void> => {
      if (commitOnly(rd, term, vote)) {
        hungWrites++;
        return new Promise<void>(() => undefined); // a disk that never acknowledges
      }
      mem.append(rd.entries);
      if (rd.hardState !== null) {
        mem.setHardState(rd.hardState);
        term = rd.hardState.term;
        vote = rd.hardState.vote;
      }
      return Promise.resolve();
    };
  });
  try {
    await until('a leader', () => cluster.leaderId() !== undefined, 2_000);
    const leader = cluster.drivers.get(cluster.leaderId() ?? '');
    assert.ok(leader !== undefined, 'a leader was elected');
    for (let i = 0; i < 20; i++) await leader.propose(new TextEncoder().encode(`w${i}`), 3_000);
    assert.ok(hungWrites > 0, 'some commit-only writes were issued (and never finished)');
  } finally {
    cluster.stop();
  }
});
