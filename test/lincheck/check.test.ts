import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkHistory, type CheckResult } from '../../src/lincheck/index.ts';
import { history, type HistoryBuilder } from './builder.ts';

function check(h: HistoryBuilder): CheckResult {
  return checkHistory(h.events);
}

function assertRejected(h: HistoryBuilder, key = 'k'): void {
  const result = check(h);
  assert.equal(result.ok, false, `expected a violation, got ${JSON.stringify(result)}`);
  if (result.ok === false) assert.equal(result.key, key);
}

function assertAccepted(h: HistoryBuilder): void {
  assert.deepEqual(check(h), { ok: true });
}

describe('checkHistory rejects', () => {
  it('a stale read', () => {
    // A read that starts after a newer write completed cannot return the older value.
    assertRejected(history().write(1, 'a').write(1, 'b').read(2, 'a'));
  });

  it('a lost write', () => {
    // An acknowledged write must be visible to a read that starts after it completed.
    assertRejected(history().write(1, 'a').read(2, null));
  });

  it('a lost write among concurrent ones', () => {
    // After two acknowledged writes, the value must be one of them, not the earlier one.
    const h = history().write(1, 'a');
    h.invoke(1, 'write', 'b').invoke(2, 'write', 'c').ok(1).ok(2);
    assertRejected(h.read(3, 'a'));
  });

  it('two cas succeeding from the same expected value', () => {
    // Of two concurrent cas from "a", at most one can swap.
    const h = history().write(1, 'a');
    h.invoke(1, 'cas', ['a', 'b']).invoke(2, 'cas', ['a', 'c']).ok(1).ok(2);
    assertRejected(h);
  });

  it('a cas succeeding when its expected value had been overwritten', () => {
    // A cas from "a" cannot swap after "b" was written and nothing wrote "a" again.
    assertRejected(history().write(1, 'a').write(1, 'b').cas(2, 'a', 'c', 'ok'));
  });

  it('a cas failing when the value was its expected one', () => {
    // A failed cas observed a different value, which is impossible right after writing "a".
    assertRejected(history().write(1, 'a').cas(2, 'a', 'c', 'fail'));
  });

  it('a read of a value never written', () => {
    // Nothing wrote "z", so no read can return it.
    assertRejected(history().write(1, 'a').read(2, 'z'));
  });

  it('a read of a value whose only write failed', () => {
    // A failed write did not happen, so its value cannot be read.
    assertRejected(history().invoke(1, 'write', 'a').fail(1).read(2, 'a'));
  });

  it('a read of a value written only after the read returned', () => {
    // A read cannot see a write that was invoked after the read had already returned.
    const result = check(history().read(2, 'a').write(1, 'a'));
    assert.equal(result.ok, false);
    if (result.ok === false) {
      assert.match(result.explanation, /no operation that could have stored "a" was invoked/);
    }
  });

  it('a read of a deleted value', () => {
    // After an acknowledged delete, a later read must find the key absent.
    assertRejected(history().write(1, 'a').delete(1).read(2, 'a'));
  });

  it('a delete that did not take effect in time', () => {
    // A delete that completed before a write of "b" cannot erase it.
    assertRejected(history().write(1, 'a').delete(1).write(1, 'b').read(2, null));
  });

  it('a value coming back without a write', () => {
    // Reading "a", then "b", then "a" again needs a second write of "a".
    const h = history().write(1, 'a');
    h.invoke(1, 'write', 'b').read(2, 'a').read(2, 'b').read(2, 'a').ok(1);
    assertRejected(h);
  });

  it('a violation on one key among several', () => {
    // Keys are checked independently, and the failing key is reported.
    const h = history().write(1, 'a', 'x').write(1, 'a', 'y').read(2, 'a', 'x').read(2, null, 'y');
    assertRejected(h, 'y');
  });
});

describe('checkHistory accepts', () => {
  it('an empty history', () => {
    // No operations are trivially linearizable.
    assertAccepted(history());
  });

  it('concurrent writes followed by either value', () => {
    // Overlapping writes may take effect in either order.
    for (const final of ['a', 'b']) {
      const h = history().invoke(1, 'write', 'a').invoke(2, 'write', 'b').ok(2).ok(1);
      assertAccepted(h.read(3, final));
    }
  });

  it('a read concurrent with a write returning either value', () => {
    // A read overlapping a write may see the value before or after it.
    for (const seen of ['a', 'b']) {
      const h = history().write(1, 'a').invoke(1, 'write', 'b').invoke(2, 'read');
      assertAccepted(h.ok(2, seen).ok(1));
    }
  });

  it('reads overlapping a write in both orders of completion', () => {
    // Two reads overlapping one write may see new-then-new or old-then-new, each in real time.
    const h = history().write(1, 'a').invoke(1, 'write', 'b');
    h.invoke(2, 'read').invoke(3, 'read').ok(3, 'b').ok(2, 'a').ok(1);
    assertAccepted(h);
  });

  it('an info write observed later', () => {
    // A write whose outcome is unknown may have taken effect.
    assertAccepted(history().write(1, 'a').invoke(2, 'write', 'b').info(2).read(3, 'b'));
  });

  it('an info write observed only after other reads', () => {
    // An info write may take effect any time after its invoke, even after its info event.
    const h = history().invoke(2, 'write', 'b').info(2).read(3, null).read(3, null);
    assertAccepted(h.read(3, 'b'));
  });

  it('an info write never observed', () => {
    // A write whose outcome is unknown may also never have happened.
    assertAccepted(history().write(1, 'a').invoke(2, 'write', 'b').info(2).read(3, 'a'));
  });

  it('a write still pending at the end, observed or not', () => {
    // An invoke without completion is treated like info.
    assertAccepted(history().invoke(1, 'write', 'a').read(2, 'a'));
    assertAccepted(history().invoke(1, 'write', 'a').read(2, null));
  });

  it('an info delete and an info cas', () => {
    // Unknown-outcome deletes and cas may or may not have taken effect.
    const h = history().write(1, 'a').invoke(2, 'delete').info(2).read(3, null);
    h.write(1, 'b').invoke(2, 'cas', ['b', 'c']).info(2).read(3, 'b').read(3, 'c');
    assertAccepted(h);
  });

  it('a correct failed cas', () => {
    // A cas whose expected value differs from the current one fails without effect.
    assertAccepted(history().write(1, 'a').cas(2, 'b', 'c', 'fail').read(3, 'a'));
  });

  it('a failed cas explained only by an info write nobody read', () => {
    // The unknown-outcome write of "b" must have happened for the cas from "a" to fail.
    const h = history().write(1, 'a').invoke(2, 'write', 'b').info(2);
    assertAccepted(h.cas(3, 'a', 'c', 'fail'));
    assertRejected(history().write(1, 'a').cas(3, 'a', 'c', 'fail'));
  });

  it('a failed cas explained by a concurrent write', () => {
    // A cas may fail because an overlapping write changed the value first.
    const h = history().write(1, 'a').invoke(1, 'write', 'b').invoke(2, 'cas', ['a', 'c']);
    assertAccepted(h.fail(2).ok(1).read(3, 'b'));
  });

  it('a successful cas chain', () => {
    // Successive cas each swap from the value the previous one stored.
    const h = history().write(1, 'a').cas(2, 'a', 'b', 'ok').cas(3, 'b', 'c', 'ok');
    assertAccepted(h.read(1, 'c'));
  });

  it('failed and info reads with any value, and failed writes', () => {
    // Reads that failed or timed out observed nothing, and failed writes did not happen.
    const h = history().write(1, 'a').invoke(2, 'read').fail(2).invoke(2, 'read').info(2);
    assertAccepted(h.invoke(1, 'write', 'b').fail(1).read(3, 'a'));
  });

  it('a delete followed by absent reads', () => {
    // A deleted key reads as null.
    assertAccepted(history().write(1, 'a').delete(2).read(3, null));
  });

  it('independent keys', () => {
    // A write to one key does not affect another.
    assertAccepted(history().write(1, 'a', 'x').read(2, null, 'y').read(2, 'a', 'x'));
  });
});

describe('checkHistory search budget', () => {
  it('reports unknown instead of searching past maxStates', () => {
    // With a budget too small for the search, the verdict is unknown, with a reason.
    const h = history();
    for (let i = 0; i < 20; i++) h.write(1, `v${i}`);
    const result = checkHistory(h.events, { maxStates: 5 });
    assert.equal(result.ok, 'unknown');
    if (result.ok === 'unknown') {
      assert.equal(result.key, 'k');
      assert.match(result.reason, /more than 5 states/);
    }
    assert.deepEqual(checkHistory(h.events), { ok: true });
  });

  it('refuses a budget that is not a positive integer', () => {
    // maxStates must be usable as a count.
    assert.throws(() => checkHistory([], { maxStates: 0 }), RangeError);
  });

  it('handles many concurrent info writes observed in any order', () => {
    // 200 unknown-outcome writes read back in shuffled order need no exhaustive search, and
    // reading one of them again after it was overwritten is still caught.
    const h = history();
    const order = Array.from({ length: 200 }, (_, i) => (i * 73) % 200);
    order.forEach((i) => h.invoke(i, 'write', `v${i}`));
    order.forEach((i) => h.info(i));
    [...order].reverse().forEach((i) => h.read(1000, `v${i}`));
    assertAccepted(h);
    const again = order.at(-1) ?? 0;
    h.read(1000, `v${again}`);
    assertRejected(h);
  });
});
