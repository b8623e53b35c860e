// The driver applies what followers commit while the leader's next write is still under way
// (RaftNode.earlyReady): a client whose entry is already on the leader's disk is answered as
// soon as a follower acknowledges it, not after the leader's unrelated later write.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RaftWrite } from '../../src/raft/index.ts';
import { driverCluster, sleep, until } from './driver-cluster.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();
const holds = (rd: RaftWrite, tag: string): boolean =>
  rd.entries.some((e) => e.type === 'normal' && dec.decode(e.data) === tag);

test('a commit learned during a later write answers its client before that write ends', async () => {
  let release: (() => void) | null = null;
  let heldWrites = 0;
  const cluster = driverCluster(7, (mem, raft) => async (rd: RaftWrite): Promise<void> => {
    if (raft.status().role === 'leader' && holds(rd, 'B')) {
      heldWrites++;
      await new Promise<void>((resolve) => {
        release = resolve;
      });
    } else if (raft.status().role !== 'leader' && holds(rd, 'A')) {
      // The followers are slow with A (well within an election timeout): their answers come
      // while the leader writes B.
      await sleep(20);
    }
    if (rd.entries.length > 0) mem.append(rd.entries);
    if (rd.hardState !== null) mem.setHardState(rd.hardState);
  });
  try {
    await until('a leader', () => cluster.leaderId() !== undefined, 2_000);
    const leader = cluster.drivers.get(cluster.leaderId() ?? '');
    assert.ok(leader !== undefined);
    await leader.propose(enc.encode('warm-up'), 3_000);
    let answeredA = false;
    const a = leader.propose(enc.encode('A'), 3_000).then(() => {
      answeredA = true;
    });
    // B's Ready follows as soon as A is on the leader's disk.
    const leaderId = cluster.leaderId() ?? '';
    const indexA = cluster.rafts.get(leaderId)?.status().lastIndex ?? 0;
    await until(
      'A on the leader’s disk',
      () => (cluster.disks.get(leaderId)?.lastIndex() ?? 0) >= indexA,
    );
    const b = leader.propose(enc.encode('B'), 3_000);
    b.catch(() => undefined); // awaited below; a failed run must not also leave it unhandled
    await until('the leader writing B', () => heldWrites > 0, 2_000);
    await until('A answered while B is still being written', () => answeredA, 2_000);
    assert.equal(heldWrites, 1);
    const releaseB = release as (() => void) | null;
    assert.ok(releaseB !== null);
    releaseB();
    await a;
    await b;
  } finally {
    cluster.stop();
  }
});
