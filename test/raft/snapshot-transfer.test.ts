// InstallSnapshot between a leader and a far-behind follower: Raft paper §7 (chunked, resumable).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStorage, type Message } from '../../src/raft/index.ts';
import { Cluster, appliedData, enc } from './harness.ts';
import { snapshotAndCompact, tickWith, traced } from './helpers.ts';

const CHUNK = 10;
const SIZE = 95; // ten chunks: nine of 10 bytes and one of 5
const data = Uint8Array.from({ length: SIZE }, (_, i) => i);

/** A follower that missed 20 entries which the leader has since compacted into a snapshot. */
function farBehind() {
  const c = new Cluster(['n1', 'n2', 'n3'], { snapshotChunkBytes: CHUNK });
  const leader = c.electLeader();
  c.tick(1);
  const [lagger] = [...c.nodes.keys()].filter((id) => id !== leader);
  if (lagger === undefined) throw new Error('no follower');
  c.isolate(lagger);
  for (let i = 0; i < 20; i++) c.node(leader).raft.propose(enc(`e${i}`));
  c.settle();
  c.tick(1);
  const index = c.node(leader).raft.status().applied;
  snapshotAndCompact(c.node(leader), index, data);
  assert.ok(c.node(leader).raft.status().firstIndex > c.node(lagger).raft.status().lastIndex + 1);
  const mark = c.trace.length;
  const chunksTo = (): number[] =>
    traced(c, 'snap', (m) => m.to === lagger)
      .filter((m) => c.trace.indexOf(m) >= mark)
      .map((m) => m.offset);
  return { c, leader, lagger, index, chunksTo };
}

test('a far-behind follower receives the snapshot in ceil(size/chunk) chunks and installs it', () => {
  // §7: when the leader has discarded the entries a follower needs, it sends InstallSnapshot, split into chunks.
  const { c, leader, lagger, index, chunksTo } = farBehind();
  c.heal();
  c.tick(1);
  assert.deepEqual(chunksTo(), [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
  assert.equal(chunksTo().length, Math.ceil(SIZE / CHUNK));
  const f = c.node(lagger);
  assert.equal(f.snapshotsInstalled, 1);
  assert.deepEqual(f.storage.storedSnapshot()?.data, data);
  assert.equal(f.raft.status().snapshotIndex, index);
  const last = traced(c, 'snap', (m) => m.to === lagger).at(-1);
  assert.deepEqual([last?.done, last?.data.byteLength], [true, 5]);
  assert.equal(c.node(leader).raft.status().progress?.[lagger]?.match, index);
});

test('after installing the snapshot the follower continues with ordinary entries', () => {
  // §7: once the snapshot is installed, the leader resumes AppendEntries from the entry after it.
  const { c, leader, lagger, index } = farBehind();
  c.heal();
  c.tick(1);
  c.node(leader).raft.propose(enc('after'));
  c.settle();
  c.tick(1);
  const f = c.node(lagger);
  assert.equal(f.raft.status().lastIndex, c.node(leader).raft.status().lastIndex);
  assert.equal(f.raft.status().commit, index + 1);
  assert.equal(appliedData(f).at(-1), 'after');
  assert.equal(f.snapshotsInstalled, 1, 'no second snapshot was needed');
});

test('a lost chunk is resent and the transfer resumes where it stopped', () => {
  // §7 (chunked transfer): the leader retransmits the chunk the follower still needs instead of starting over.
  const { c, lagger, chunksTo } = farBehind();
  c.heal();
  let dropped = 0;
  const loseChunk30 = (m: Message): boolean =>
    m.type === 'snap' && m.to === lagger && m.offset === 30 && dropped++ === 0;
  tickWith(c, 1, { drop: loseChunk30 });
  assert.deepEqual(chunksTo(), [0, 10, 20, 30], 'stalled at the lost chunk');
  c.tick(5);
  assert.deepEqual(chunksTo(), [0, 10, 20, 30, 30, 40, 50, 60, 70, 80, 90]);
  assert.equal(c.node(lagger).snapshotsInstalled, 1);
  assert.deepEqual(c.node(lagger).storage.storedSnapshot()?.data, data);
});

test('a follower that restarts mid-transfer asks for offset 0 and gets the whole snapshot again', () => {
  // §7: a partial snapshot does not survive a crash, so the receiver restarts the transfer from the beginning.
  const { c, lagger, chunksTo } = farBehind();
  c.heal();
  let restarted = false;
  tickWith(c, 1, {
    after: (m) => {
      if (!restarted && m.type === 'snap' && m.to === lagger && m.offset === 40) {
        restarted = true;
        c.restart(lagger); // its answer to chunk 40 is lost with it
      }
    },
  });
  assert.ok(restarted);
  const before = chunksTo().length;
  c.tick(5);
  const resumed = chunksTo().slice(before);
  assert.deepEqual(
    resumed.slice(0, 2),
    [40, 0],
    'unacknowledged chunk 40 is resent, refused, then 0',
  );
  assert.deepEqual(resumed.slice(1), [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
  const asked = traced(c, 'snapResp', (m) => m.from === lagger).map((m) => m.offset);
  assert.ok(asked.includes(0), 'the restarted follower asked for offset 0');
  assert.equal(c.node(lagger).snapshotsInstalled, 1);
  assert.deepEqual(c.node(lagger).storage.storedSnapshot()?.data, data);
});

test('a learner added after compaction starts from the snapshot, then takes its own addition', () => {
  // §7 with thesis §4.2.1: a new server is brought up to date with a snapshot when the leader no longer has the early log.
  const { c, leader, index } = farBehind();
  c.heal();
  c.tick(1);
  c.addNode('n4', new MemoryStorage()); // knows nothing, not even the configuration
  c.node(leader).raft.proposeConfChange({ type: 'addLearner', node: 'n4' });
  c.settle();
  c.tick(2);
  const n4 = c.node('n4');
  assert.equal(n4.snapshotsInstalled, 1);
  assert.equal(n4.raft.status().snapshotIndex, index);
  assert.deepEqual(n4.raft.status().config, { voters: ['n1', 'n2', 'n3'], learners: ['n4'] });
  assert.deepEqual(appliedData(n4), ['conf:addLearner:n4'], 'only what follows the snapshot');
  assert.equal(n4.raft.status().commit, c.node(leader).raft.status().commit);
});
