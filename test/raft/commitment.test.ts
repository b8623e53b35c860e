// Committing entries from previous terms: Raft paper §5.4.2 and Figure 8. Each property is shown
// twice: with the rule, and with `testingBugs.commitPreviousTerm` to prove the rule is what matters.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Message, RaftNodeOptions } from '../../src/raft/index.ts';
import { Cluster, dec, type TestNode } from './harness.ts';
import {
  direct,
  drain,
  elect,
  normal,
  ofType,
  pump,
  send,
  storageWith,
  voters,
} from './helpers.ts';

const five = voters('S1', 'S2', 'S3', 'S4', 'S5');

/** S1 leads term 4 over [1@1, 2@2]; S2 and S3 take index 2 from it but never index 3. */
function leaderAfterReplicatingOldEntry(over: Partial<RaftNodeOptions>) {
  const n = direct('S1', five, { term: 3, commit: 1 }, [normal(1, 1), normal(2, 2)], {
    maxEntriesPerMsg: 1,
    ...over,
  });
  elect(n, ['S2', 'S3']);
  assert.equal(n.raft.status().term, 4);
  drain(n);
  for (const from of ['S2', 'S3']) {
    send(n, 'appResp', { from, term: 4, success: false, index: 2, hintIndex: 1, hintTerm: 1 });
  }
  const probes = ofType(drain(n)?.messages ?? [], 'app');
  assert.deepEqual(
    probes.map((m) => [m.to, m.prevIndex, m.entries.map((e) => `${e.index}@${e.term}`)]),
    [
      ['S2', 1, ['2@2']],
      ['S3', 1, ['2@2']],
    ],
  );
  for (const from of ['S2', 'S3']) {
    send(n, 'appResp', { from, term: 4, success: true, index: 2, hintIndex: 0, hintTerm: 0 });
  }
  return n;
}

test('a leader does not commit an old-term entry just because a majority stores it', () => {
  // §5.4.2: only entries from the leader's current term are committed by counting replicas.
  const n = leaderAfterReplicatingOldEntry({});
  assert.equal(
    n.raft.status().commit,
    1,
    'index 2 (term 2) is on S1, S2, S3 but stays uncommitted',
  );
  assert.deepEqual(drain(n)?.committed, []);
});

test('the old-term entry is committed indirectly once an entry of the current term is', () => {
  // §5.4.2: committing an entry of the current term commits all prior entries by the Log Matching Property.
  const n = leaderAfterReplicatingOldEntry({});
  drain(n);
  for (const from of ['S2', 'S3']) {
    send(n, 'appResp', { from, term: 4, success: true, index: 3, hintIndex: 0, hintTerm: 0 });
  }
  const rd = drain(n);
  assert.equal(n.raft.status().commit, 3);
  assert.deepEqual(
    rd?.committed.map((e) => `${e.index}@${e.term}`),
    ['2@2', '3@4'],
  );
});

test('with the commitPreviousTerm bug the same leader commits the old-term entry', () => {
  // §5.4.2 (control): the injected bug counts replicas of a term-2 entry in term 4, which the rule forbids.
  const n = leaderAfterReplicatingOldEntry({ testingBugs: { commitPreviousTerm: true } });
  assert.equal(n.raft.status().commit, 2);
  assert.deepEqual(
    drain(n)?.committed.map((e) => `${e.index}@${e.term}`),
    ['2@2'],
  );
});

/**
 * Figure 8, replayed on five servers with maxEntriesPerMsg 1:
 *  (a)/(b) are the starting logs: S1, S2 hold 2@2 (from S1's term-2 leadership), S5 holds 2@3.
 *  (c) S1 leads term 4 with S2 and S3 and replicates 2@2 to S3; 3@4 reaches S2 but is lost on
 *      its way to S3 (so it is on two of five servers), and S1 crashes before anyone hears of a
 *      commit beyond 1.
 *  (d) S5 wins term 5 with S3 and S4 (its last term 3 beats their 2) and overwrites index 2.
 */
function figure8(over: Partial<RaftNodeOptions>): Map<string, TestNode> {
  const c = new Cluster([], { maxEntriesPerMsg: 1, ...over });
  const base = normal(1, 1, 'one');
  const t2 = normal(2, 2, 'two@2');
  c.addNode('S1', storageWith(five, { term: 3, commit: 1 }, [base, t2]));
  c.addNode('S2', storageWith(five, { term: 2, commit: 1 }, [base, t2]));
  c.addNode('S3', storageWith(five, { term: 3, commit: 1 }, [base]));
  c.addNode('S4', storageWith(five, { term: 3, commit: 1 }, [base]));
  c.addNode('S5', storageWith(five, { term: 3, commit: 1 }, [base, normal(2, 3, 'two@3')]));
  // (c)
  for (const far of ['S4', 'S5']) {
    c.cut.add(`S1->${far}`);
    c.cut.add(`${far}->S1`);
  }
  c.node('S1').raft.campaign();
  const lost = (m: Message): boolean => {
    if (m.from !== 'S1') return false;
    const announcesCommit = (m.type === 'app' || m.type === 'heartbeat') && m.commit >= 2;
    const s3WouldTake3 =
      m.type === 'app' &&
      m.to === 'S3' &&
      m.entries.length > 0 &&
      c.node('S3').raft.status().lastIndex === 2;
    return announcesCommit || s3WouldTake3;
  };
  pump(c, { drop: lost });
  assert.equal(c.leader(), 'S1');
  assert.deepEqual(
    ['S1', 'S2', 'S3'].map((id) => c.node(id).raft.status().lastIndex),
    [3, 3, 2],
    '3@4 is on S1 and S2, 2@2 on S1, S2 and S3',
  );
  const crashed = c.node('S1');
  // (d): S1 is down; S2 and S3 restart (so no lease holds them back) and S5 campaigns, winning
  // with S3 and S4 (S2's last term 4 is newer than S5's 3).
  c.heal();
  c.isolate('S1');
  c.restart('S2');
  c.restart('S3');
  for (let i = 0; i < 3 && c.leader() !== 'S5'; i++) {
    c.node('S5').raft.campaign();
    c.settle();
  }
  assert.equal(c.leader(), 'S5');
  c.tick(2);
  const result = new Map(c.nodes);
  result.set('S1', crashed);
  return result;
}

/** What each server's state machine applied at `index` (undefined if it did not). */
function appliedAt(nodes: Map<string, TestNode>, index: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const [id, n] of nodes) {
    const e = n.applied.find((x) => x.index === index);
    if (e !== undefined) out.set(id, dec(e));
  }
  return out;
}

test('Figure 8: with the current-term rule no server ever applies the overwritten entry', () => {
  // §5.4.2 / Figure 8: S1 must not commit 2@2 in term 4, because S5 can still be elected and overwrite it.
  const nodes = figure8({});
  const at2 = appliedAt(nodes, 2);
  assert.equal(at2.has('S1'), false, 'S1 never applied index 2 in term 4');
  assert.deepEqual(new Set(at2.values()), new Set(['two@3']), 'everyone agrees on index 2');
  assert.deepEqual([...at2.keys()].sort(), ['S2', 'S3', 'S4', 'S5']);
});

test('Figure 8: with the commitPreviousTerm bug two servers apply different entries at index 2', () => {
  // §5.4.2 / Figure 8 (control): committing 2@2 by counting replicas breaks State Machine Safety once S5 overwrites it.
  const nodes = figure8({ testingBugs: { commitPreviousTerm: true } });
  const at2 = appliedAt(nodes, 2);
  assert.equal(at2.get('S1'), 'two@2');
  assert.equal(at2.get('S5'), 'two@3');
});
