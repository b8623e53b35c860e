// The invariant checker must catch violations (fed fabricated bad states here), and must not
// flag legal Raft behaviour that looks alarming (a deposed leader appending in its old term).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Entry } from '../../src/raft/index.ts';
import { InvariantChecker, InvariantViolation } from '../../src/sim/invariants.ts';
import { arrayLogView, type LogView } from '../../src/sim/log-view.ts';

const enc = new TextEncoder();

function e(index: number, term: number, data = `${index}@${term}`): Entry {
  return { type: 'normal', index, term, data: enc.encode(data) };
}

/** Entries 1..n with the given terms. */
function log(...terms: number[]): Entry[] {
  return terms.map((t, i) => e(i + 1, t));
}

function checker(): InvariantChecker {
  return new InvariantChecker(() => ({ seed: 77, step: 12, time: 340 }));
}

function violation(fn: () => void, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InvariantViolation, String(err));
    assert.match(err.message, pattern);
    assert.match(err.message, /seed 77, step 12, t=340ms/);
    assert.equal(err.seed, 77);
    return true;
  });
}

/** Persists a whole log on `node` (as one append from index 1) and returns its view. */
function persist(c: InvariantChecker, node: string, entries: Entry[]): LogView {
  const view = arrayLogView(entries);
  c.onPersistEntries(node, entries, [], view);
  return view;
}

describe('InvariantChecker', () => {
  it('catches two leaders in one term', () => {
    const c = checker();
    const empty = arrayLogView([]);
    c.observeRole('n1', 3, true, empty);
    c.observeRole('n1', 3, true, empty);
    c.observeRole('n2', 4, true, empty);
    violation(() => c.observeRole('n2', 3, true, empty), /two leaders in term 3: n1 and n2/);
  });

  it('catches diverging entries with the same index and term', () => {
    const c = checker();
    persist(c, 'n1', [e(1, 1, 'a')]);
    violation(() => persist(c, 'n2', [e(1, 1, 'b')]), /log matching: index 1 term 1 differs/);
  });

  it('catches the same (index, term) after different prefixes', () => {
    const c = checker();
    persist(c, 'n1', [e(1, 1), e(2, 3, 'x')]);
    violation(
      () => persist(c, 'n2', [e(1, 2), e(2, 3, 'x')]),
      /follows term 1 on n1 but term 2 on n2/,
    );
  });

  it('accepts identical logs and legal divergence in different terms', () => {
    const c = checker();
    persist(c, 'n1', log(1, 1, 2));
    persist(c, 'n2', log(1, 1, 2));
    persist(c, 'n3', log(1, 1, 3));
  });

  it('catches a committed index whose term changes', () => {
    const c = checker();
    c.onCommit('n1', 2, 1, arrayLogView(log(1, 1)));
    violation(
      () => c.onCommit('n2', 2, 2, arrayLogView(log(1, 2))),
      /index 2 was committed with term 1/,
    );
  });

  it('catches a commit index going back on a live node', () => {
    const c = checker();
    const view = arrayLogView(log(1, 1, 1));
    c.onCommit('n1', 3, 1, view);
    violation(() => c.onCommit('n1', 2, 1, view), /commit index of n1 went back from 3 to 2/);
  });

  it('catches a commit index beyond the stored log', () => {
    const c = checker();
    violation(
      () => c.onCommit('n1', 3, 1, arrayLogView(log(1, 1))),
      /beyond its last stored index/,
    );
  });

  it('catches a leader elected without a committed entry (leader completeness)', () => {
    const c = checker();
    c.onCommit('n1', 3, 2, arrayLogView(log(1, 2, 2)));
    c.observeRole('n2', 3, true, arrayLogView(log(1, 2, 2, 3)));
    violation(
      () => c.observeRole('n3', 4, true, arrayLogView(log(1, 2))),
      /n3 became leader of term 4 without committed entry 3/,
    );
    violation(
      () => c.observeRole('n4', 5, true, arrayLogView(log(1, 1, 1))),
      /without committed entry 2 \(term 2\)/,
    );
  });

  it('catches a leader whose snapshot contradicts a committed entry', () => {
    const c = checker();
    c.onCommit('n1', 3, 2, arrayLogView(log(1, 2, 2)));
    violation(
      () => c.observeRole('n2', 3, true, arrayLogView([], 3, 1)),
      /snapshot at 3 with term 1/,
    );
  });

  it('catches an entry of a later term stored over a committed one', () => {
    const c = checker();
    c.onCommit('n1', 2, 2, arrayLogView(log(1, 2)));
    const before = [2];
    violation(
      () => c.onPersistEntries('n2', [e(2, 3)], before, arrayLogView(log(1, 3))),
      /committed entry lost: n2 stored term 3 at index 2, where term 2 was committed in term 2/,
    );
  });

  it('catches a node giving up an entry it knows is committed', () => {
    const c = checker();
    const view = arrayLogView(log(1, 2, 2));
    c.onCommit('n1', 3, 4, view);
    c.onCommit('n2', 3, 4, view);
    violation(
      () => c.onPersistEntries('n2', [e(2, 1)], [2, 2], arrayLogView(log(1, 1))),
      /n2 replaced committed entry 2/,
    );
    const c2 = checker();
    c2.onCommit('n1', 3, 4, view);
    c2.onCommit('n2', 3, 4, view);
    violation(
      () => c2.onPersistEntries('n2', [e(2, 2)], [2, 2], arrayLogView(log(1, 2))),
      /n2 truncated entry 3 below its commit 3/,
    );
  });

  it('allows a deposed leader to append in its old term at a committed index', () => {
    // n2 led term 2 and was cut off; n1 (term 3) committed index 3 with term 1's entry... and
    // index 4 in term 3. n2, still in term 2, appends its own entry at 4: legal, never committed.
    const c = checker();
    persist(c, 'n1', log(1, 1, 1, 3));
    c.onCommit('n1', 4, 3, arrayLogView(log(1, 1, 1, 3)));
    persist(c, 'n2', log(1, 1, 1));
    c.onPersistEntries('n2', [e(4, 2)], [], arrayLogView(log(1, 1, 1, 2)));
  });

  it('catches two nodes applying different entries at one index (state machine safety)', () => {
    const c = checker();
    c.onRestart('n1', 0, 1);
    c.onRestart('n2', 0, 1);
    c.onApply('n1', e(1, 1, 'a'), '{}', null);
    violation(() => c.onApply('n2', e(1, 1, 'b'), '{}', null), /state machine safety: index 1/);
  });

  it('catches diverging state after the same index', () => {
    const c = checker();
    c.onRestart('n1', 0, 1);
    c.onRestart('n2', 0, 1);
    c.onApply('n1', e(1, 1), '[["a","1"]]', null);
    violation(() => c.onApply('n2', e(1, 1), '[["a","2"]]', null), /state after index 1 on n2/);
  });

  it('catches applying out of order, beyond commit, or an op twice', () => {
    const c = checker();
    c.onRestart('n1', 0, 3);
    violation(() => c.onApply('n1', e(2, 1), '{}', null), /n1 applied index 2 after 0/);
    const c2 = checker();
    c2.onRestart('n1', 0, 1);
    c2.onApply('n1', e(1, 1), '{}', null);
    violation(() => c2.onApply('n1', e(2, 1), '{}', null), /applied 2 beyond its commit 1/);
    const c3 = checker();
    c3.onRestart('n1', 0, 3);
    c3.onApply('n1', e(1, 1, 'x'), 'a', 'op');
    violation(() => c3.onApply('n1', e(2, 1, 'y'), 'b', 'op'), /op op applied at both 1 and 2/);
  });

  it('catches a snapshot restore below what was applied', () => {
    const c = checker();
    c.onRestart('n1', 5, 5);
    violation(
      () =>
        c.onRestoreSnapshot(
          'n1',
          { index: 3, term: 1, config: { voters: ['n1'], learners: [] } },
          '[]',
        ),
      /restored snapshot 3 below applied 5/,
    );
  });

  it('catches a persisted term going back or a changed vote', () => {
    const c = checker();
    c.onPersistHardState('n1', 3, 'n2');
    violation(() => c.onPersistHardState('n1', 3, 'n3'), /changed its vote in term 3/);
    c.onPersistHardState('n2', 5, null);
    violation(() => c.onPersistHardState('n2', 4, null), /persisted term 4 after 5/);
  });

  it('catches an acknowledged op that was never applied', () => {
    const c = checker();
    c.onCommit('n1', 1, 1, arrayLogView(log(1)));
    c.onApply('n1', e(1, 1), '{}', 'seen');
    c.checkAcked(['seen']);
    violation(() => c.checkAcked(['seen', 'lost']), /acknowledged op lost was never applied/);
  });
});
