// A crashed process, each side: in a mixed cluster of 3 Go memberlist and 3 Sappers peer
// processes (Local timings), SIGKILL a Sappers process and every Go node drops it while every
// Sappers node marks it failed; then SIGKILL a Go process and every Sappers node marks it
// failed. Both within memberlist's own suspicion bound for the cluster size, with no verdict
// against any live node.
import assert from 'node:assert/strict';
import { after, test, type TestContext } from 'node:test';
import { defaultLocalConfig } from '../../src/gossip/core/index.ts';
import { killAllPeers, type PeerProcess } from './go.ts';
import { allAlive, eventAbout, failureBoundMs, formMixed, until, view } from './mixed.ts';

after(() => {
  killAllPeers();
});

/**
 * SIGKILLs `victim`; every other peer in `members` must print it failed (`failedAs` tells
 * how each side says so) within memberlist's bound for the cluster size, list it that way,
 * and still list every survivor alive. Returns the survivors.
 */
async function crash(
  t: TestContext,
  members: readonly PeerProcess[],
  victim: PeerProcess,
  failedAs: (p: PeerProcess) => string,
): Promise<PeerProcess[]> {
  const survivors = members.filter((p) => p !== victim);
  const bound = failureBoundMs(members.length, defaultLocalConfig);
  const marks = survivors.map((p) => p.lines.length);
  const start = Date.now();
  victim.kill('SIGKILL');
  await Promise.all(
    survivors.map((p, i) =>
      p.waitLine(
        `${p.name} marks ${victim.name} ${failedAs(p)} within ${String(bound)} ms`,
        bound - (Date.now() - start),
        (l) => eventAbout('leave', victim.name)(l) && l.node?.state === failedAs(p),
        marks[i],
      ),
    ),
  );
  const took = Date.now() - start;
  t.diagnostic(
    `${victim.name} declared failed everywhere in ${String(took)} ms (bound ${String(bound)} ms)`,
  );
  assert.ok(took <= bound);
  const names = survivors.map((p) => p.name);
  await until(
    'the survivors list each other alive',
    5000,
    () => allAlive(survivors, names),
    survivors,
  );
  // Listed as failed, or no longer listed: a peer that marked the victim failed early drops it
  // gossipToTheDeadTimeMs later (15 s with Local timings, as memberlist), which can come
  // before the slowest survivor's verdict. Never alive again.
  for (const p of survivors) {
    await until(
      `${p.name} lists ${victim.name} ${failedAs(p)} (or has dropped it)`,
      5000,
      () => {
        const state = view(p).get(victim.name);
        return state === failedAs(p) || state === undefined;
      },
      survivors,
    );
  }
  return survivors;
}

test(
  'SIGKILLed peer processes are declared failed across Go and Sappers',
  { timeout: 240_000 },
  async (t) => {
    const { go, ts, all } = await formMixed('local');
    const goSide = new Set<PeerProcess>(go);
    const failedAs = (p: PeerProcess): string => (goSide.has(p) ? 'gone' : 'dead');
    const [tsVictim, goVictim] = [ts[2], go[2]];
    assert.ok(tsVictim !== undefined && goVictim !== undefined);

    // A Sappers process crashes in the full 6-node cluster, then a Go process among the 5 left.
    let survivors = await crash(t, all, tsVictim, failedAs);
    survivors = await crash(t, survivors, goVictim, failedAs);

    // No live node was ever declared failed by anyone.
    const names = survivors.map((p) => p.name);
    for (const p of survivors) {
      const wrong = p.lines.filter((l) => l.type === 'leave' && names.includes(l.node?.name ?? ''));
      assert.deepEqual(wrong, [], `${p.name} declared no live node failed`);
    }
    const codes = await Promise.all(survivors.map((p) => p.stop()));
    assert.deepEqual(
      codes,
      survivors.map(() => 0),
      'every survivor leaves and exits 0',
    );
  },
);
