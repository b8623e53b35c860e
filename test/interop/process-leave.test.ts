// Graceful leaves across processes: in a mixed cluster of 3 Go memberlist and 3 Sappers peer
// processes, SIGTERM makes a Sappers process leave and a Go process leave. Sappers nodes list
// each as left (not failed); Go nodes drop each at once with no suspicion or failure verdict in
// memberlist's own log. LAN timings: a leave is a broadcast, and LAN's 4 retransmits (Local
// has 2) make it reach everyone without waiting for anti-entropy.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { killAllPeers, type PeerProcess } from './go.ts';
import { allAlive, eventAbout, formMixed, until, view } from './mixed.ts';

after(() => {
  killAllPeers();
});

/**
 * memberlist's log lines saying it declared `name` failed. (A probe already in flight when a
 * node leaves may still log "Suspect ... has failed"; memberlist then ignores that suspicion
 * for a node that left, so only the verdict line tells a failure from a leave.)
 */
function failureVerdicts(p: PeerProcess, name: string): string[] {
  return p.stderr
    .join('')
    .split('\n')
    .filter((l) => l.includes(`Marking ${name} as failed`));
}

test(
  'SIGTERM leaves gracefully, seen as left by Go and Sappers',
  { timeout: 240_000 },
  async () => {
    const { go, ts, all } = await formMixed('lan', { log: true });
    const goSide = new Set<PeerProcess>(go);
    let remaining: PeerProcess[] = all;
    for (const leaver of [ts[1], go[1]]) {
      assert.ok(leaver !== undefined);
      remaining = remaining.filter((p) => p !== leaver);
      const marks = remaining.map((p) => p.lines.length);
      assert.equal(await leaver.stop(), 0, `${leaver.name} exits 0 after leaving`);
      assert.ok(leaver.lines.some((l) => l.type === 'left' && l.error === ''));
      await Promise.all(
        remaining.map((p, i) => {
          const state = goSide.has(p) ? 'gone' : 'left';
          return p.waitLine(
            `${p.name} sees ${leaver.name} leave`,
            10_000,
            (l) => eventAbout('leave', leaver.name)(l) && l.node?.state === state,
            marks[i],
          );
        }),
      );
      const names = remaining.map((p) => p.name);
      await until(
        'the rest list each other alive',
        5000,
        () => allAlive(remaining, names),
        remaining,
      );
      for (const p of remaining) {
        if (!goSide.has(p)) {
          await until(
            `${p.name} lists ${leaver.name} left`,
            5000,
            () => view(p).get(leaver.name) === 'left',
            remaining,
          );
        } else {
          assert.deepEqual(
            failureVerdicts(p, leaver.name),
            [],
            `${p.name} never declared ${leaver.name} failed`,
          );
        }
      }
    }
    // No failure verdict against anyone along the way, on the Go side.
    for (const p of go) {
      for (const q of all)
        assert.deepEqual(failureVerdicts(p, q.name), [], `${p.name} about ${q.name}`);
    }
    const codes = await Promise.all(remaining.map((p) => p.stop()));
    assert.deepEqual(
      codes,
      remaining.map(() => 0),
    );
  },
);
