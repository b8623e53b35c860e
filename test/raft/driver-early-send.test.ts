import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RaftWrite } from '../../src/raft/index.ts';
import { driverCluster, sleep, until } from './driver-cluster.ts';

test('the leader sends an entry to its followers while its own write is still running, and answers only after it', async () => {
  // Thesis §10.2.1: the leader's disk write runs in parallel with replication; the client is
  // answered once the entry is on the leader's disk too (nothing is acknowledged before).
  let holdLeader = false;
  let release: (() => void) | null = null;
  const cluster = driverCluster(11, (mem, raft) => {
    const write = (rd: RaftWrite): void => {
      mem.append(rd.entries);
      if (rd.hardState !== null) mem.setHardState(rd.hardState);
    };
    return (rd: RaftWrite): Promise<void> => {
      if (holdLeader && raft.status().role === 'leader' && rd.entries.length > 0) {
        return new Promise<void>((resolve) => {
          release = () => {
            write(rd);
            resolve();
          };
        });
      }
      write(rd);
      return Promise.resolve();
    };
  });
  const { ids, drivers, rafts, disks } = cluster;
  try {
    await until('a leader', () => cluster.leaderId() !== undefined);
    const id = cluster.leaderId() ?? '';
    const leader = drivers.get(id);
    assert.ok(leader !== undefined);
    await leader.propose(new TextEncoder().encode('warm-up'), 3_000);
    holdLeader = true;
    let answered = false;
    const proposal = leader.propose(new TextEncoder().encode('x'), 5_000).then((index) => {
      answered = true;
      return index;
    });
    const index = rafts.get(id)?.status().lastIndex ?? 0;
    const followers = ids.filter((f) => f !== id);
    await until('both followers stored the entry', () =>
      followers.every((f) => (disks.get(f)?.lastIndex() ?? 0) >= index),
    );
    assert.ok(release !== null, "the leader's own write is still running");
    assert.ok((disks.get(id)?.lastIndex() ?? 0) < index, 'not on the leader’s disk yet');
    await sleep(30);
    assert.equal(answered, false, 'no answer before the leader’s own write finished');
    holdLeader = false;
    const finish: () => void = release;
    finish();
    assert.equal(await proposal, index);
  } finally {
    cluster.stop();
  }
});
