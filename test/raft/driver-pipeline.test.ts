// The driver pipelines a leader's writes: while one write is held on the leader's disk, the
// entries proposed meanwhile are sent and handed to storage at once, in order after it, instead
// of waiting for it to end; nothing is answered before its own write is done.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RaftWrite } from '../../src/raft/index.ts';
import { driverCluster, sleep, until } from './driver-cluster.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();
const tags = (w: RaftWrite): string[] =>
  w.entries.flatMap((e) => (e.type === 'normal' ? [dec.decode(e.data)] : []));

test('a leader starts writing new entries while its previous write is still under way', async () => {
  let holdA = false;
  let releaseA: (() => void) | null = null;
  /** Tags of the leader's writes, in the order they were handed to storage. */
  const leaderWrites: string[][] = [];
  const cluster = driverCluster(5, (mem, raft) => {
    // Writes take effect in call order, as the storage contract requires.
    let tail: Promise<void> = Promise.resolve();
    return (w: RaftWrite): Promise<void> => {
      const leading = raft.status().role === 'leader';
      if (leading) leaderWrites.push(tags(w));
      const held =
        leading && holdA && tags(w).includes('A')
          ? new Promise<void>((resolve) => {
              releaseA = resolve;
            })
          : Promise.resolve();
      tail = Promise.all([tail, held]).then(() => mem.write(w));
      return tail;
    };
  });
  try {
    await until('a leader', () => cluster.leaderId() !== undefined, 2_000);
    const leader = cluster.drivers.get(cluster.leaderId() ?? '');
    assert.ok(leader !== undefined);
    await leader.propose(enc.encode('warm-up'), 3_000);
    holdA = true;
    let answeredA = false;
    let answeredB = false;
    const a = leader.propose(enc.encode('A'), 3_000).then(() => {
      answeredA = true;
    });
    await until('the leader writing A', () => releaseA !== null, 2_000);
    const b = leader.propose(enc.encode('B'), 3_000).then(() => {
      answeredB = true;
    });
    b.catch(() => undefined); // awaited below; a failed run must not also leave it unhandled
    await until(
      'B handed to storage while A is held',
      () => leaderWrites.some((t) => t.includes('B')),
      2_000,
    );
    await sleep(50);
    assert.equal(answeredA, false, 'A is not on the leader’s disk yet');
    assert.equal(answeredB, false, 'B is written after A: not answered before A');
    const order = leaderWrites.flat().filter((t) => t === 'A' || t === 'B');
    assert.deepEqual(order, ['A', 'B'], 'each written once, A first');
    const release = releaseA as (() => void) | null;
    assert.ok(release !== null);
    release();
    await a;
    await b;
    assert.ok(answeredA && answeredB);
  } finally {
    cluster.stop();
  }
});
