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

test('a commit-index-only change is not written on its own: it rides on the next durable write, and on shutdown', async () => {
  // etcd's MustSync rule: only entries, snapshots, term and vote must be durable before the
  // node goes on; the commit index need not be. Writing it alone would cost a transaction and
  // a disk flush, so the driver keeps it for the next write that must be durable anyway.
  let commitOnlyWrites = 0;
  const cluster = driverCluster(1, (mem) => {
    let term = 0;
    let vote: string | null = null;
    return (rd: RaftWrite): Promise<void> => {
      if (commitOnly(rd, term, vote)) commitOnlyWrites++;
      mem.write(rd);
      if (rd.hardState !== null) {
        term = rd.hardState.term;
        vote = rd.hardState.vote;
      }
      return Promise.resolve();
    };
  });
  try {
    await until('a leader', () => cluster.leaderId() !== undefined, 2_000);
    const id = cluster.leaderId() ?? '';
    const leader = cluster.drivers.get(id);
    const disk = cluster.disks.get(id);
    const raft = cluster.rafts.get(id);
    assert.ok(leader !== undefined && disk !== undefined && raft !== undefined);
    for (let i = 0; i < 20; i++) await leader.propose(new TextEncoder().encode(`w${i}`), 3_000);
    const committed = raft.status().commit;
    assert.ok(
      disk.storedHardState().commit >= committed - 1,
      'the commit index reached the disk with the entries written after it moved',
    );
    assert.ok(disk.storedHardState().commit < committed, 'the newest one waits for a write');
    assert.equal(commitOnlyWrites, 0, 'no write carried only a commit index');
    await leader.shutdown();
    assert.equal(disk.storedHardState().commit, committed, 'shutdown writes the newest');
    assert.equal(commitOnlyWrites, 1);
  } finally {
    cluster.stop();
  }
});
