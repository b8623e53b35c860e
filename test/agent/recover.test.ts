import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { recoverDataDir, RecoverError } from '../../src/agent/recover.ts';
import { defaultRaftOptions, RaftNode } from '../../src/raft/index.ts';
import { openLmdbStorage } from '../../src/storage/index.ts';
import { entries, hard, ready, snapshot, tempDir } from '../storage/helpers.ts';

const quiet = { info: (): void => {}, warn: (): void => {} };
const addresses = { n1: '127.0.0.1:1', n2: '127.0.0.1:2', n3: '127.0.0.1:3' };
const cfg = { voters: ['n1', 'n2', 'n3'], learners: [], addresses };

test('recovery appends a committed single-voter entry the Raft core restarts from and leads', async () => {
  // The entry sits at lastIndex + 1 with a term above every term seen, the snapshot and the
  // compacted log still load, and a RaftNode built from the result elects itself alone.
  const dir = await tempDir();
  try {
    const s = await openLmdbStorage({ dataDir: dir.path, nodeId: 'n1', logger: quiet });
    await s.load();
    await s.persist(
      ready({
        entries: [...entries(1, 12, 2), ...entries(13, 15, 3)],
        hardState: hard(4, null, 13),
      }),
    );
    await s.saveSnapshot(snapshot(10, 2, cfg));
    await s.compact(10);
    await s.close();

    const r = await recoverDataDir(dir.path);
    assert.equal(r.nodeId, 'n1');
    assert.deepEqual(r.oldConfig.voters, ['n1', 'n2', 'n3']);
    assert.deepEqual(r.newConfig, {
      voters: ['n1'],
      learners: [],
      addresses: { n1: '127.0.0.1:1' },
    });
    assert.equal(r.index, 16, 'lastIndex + 1');
    assert.equal(r.term, 5, 'above the hard state term 4 and the last entry term 3');
    assert.equal(r.previousCommit, 13);

    const again = await openLmdbStorage({ dataDir: dir.path, nodeId: 'n1', logger: quiet });
    const initial = await again.load();
    await again.close();
    assert.equal(initial.snapshot?.meta.index, 10, 'the snapshot is still there');
    assert.deepEqual(
      initial.entries.map((e) => e.index),
      [11, 12, 13, 14, 15, 16],
      'the log after the snapshot is intact',
    );
    assert.deepEqual(initial.hardState, { term: 5, vote: 'n1', commit: 16 });

    const raft = new RaftNode(
      { ...defaultRaftOptions, id: 'n1', random: { int: () => 0 } },
      initial,
    );
    assert.deepEqual(raft.status().config.voters, ['n1']);
    for (let t = 0; t < 100 && raft.status().role !== 'leader'; t++) {
      raft.tick();
      while (raft.hasReady()) {
        raft.ready();
        raft.advance();
      }
    }
    const st = raft.status();
    assert.equal(st.role, 'leader');
    assert.ok(st.term > 5, `elected in a later term, got ${st.term}`);
    assert.ok(st.commit >= 17, `its no-op committed alone, commit ${st.commit}`);
  } finally {
    await dir.remove();
  }
});

test('recovery refuses a DATA_DIR without Raft state and changes nothing', async () => {
  // An empty directory is not a survivor: RecoverError, and no raft.lmdb is created.
  const dir = await tempDir();
  try {
    await assert.rejects(recoverDataDir(dir.path), RecoverError);
    assert.equal(existsSync(`${dir.path}/raft.lmdb`), false);
  } finally {
    await dir.remove();
  }
});
