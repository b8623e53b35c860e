import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkHistory } from '../../src/lincheck/index.ts';
import { formatEvent, History } from '../../src/sim/history.ts';

describe('History', () => {
  it('records invokes and completions with the value conventions', () => {
    const h = new History();
    h.invoke(0, 'write', 'a', 'x', 'op1', 1);
    h.invoke(1, 'read', 'a', null, 'op2', 2);
    h.complete(0, 'ok', 3);
    h.complete(1, 'ok', 4, 'x');
    h.invoke(0, 'cas', 'a', ['z', 'y'], 'op3', 5);
    h.complete(0, 'fail', 6);
    h.invoke(1, 'delete', 'a', null, 'op4', 7);
    h.complete(1, 'info', 8);
    assert.deepEqual(
      h.events.map((e) => [e.process, e.type, e.f, e.value]),
      [
        [0, 'invoke', 'write', 'x'],
        [1, 'invoke', 'read', null],
        [0, 'ok', 'write', 'x'],
        [1, 'ok', 'read', 'x'],
        [0, 'invoke', 'cas', ['z', 'y']],
        [0, 'fail', 'cas', ['z', 'y']],
        [1, 'invoke', 'delete', null],
        [1, 'info', 'delete', null],
      ],
    );
    assert.deepEqual([...h.ackedMutations().keys()], ['op1']);
    assert.deepEqual(checkHistory(h.events), { ok: true });
    const cas = h.events[4];
    assert.ok(cas !== undefined);
    assert.equal(formatEvent(cas), '5ms p0 invoke cas a [z,y]');
  });

  it('keeps a read of null as null (a missing key)', () => {
    const h = new History();
    h.invoke(0, 'read', 'a', null, 'r', 1);
    h.complete(0, 'ok', 2, null);
    assert.equal(h.events[1]?.value, null);
  });

  it('allows one open op per process', () => {
    const h = new History();
    h.invoke(0, 'read', 'a', null, 'r', 1);
    assert.throws(() => h.invoke(0, 'read', 'a', null, 'r2', 1));
    assert.throws(() => h.complete(1, 'ok', 1));
    assert.equal(h.openCount, 1);
    assert.ok(h.isOpen(0));
  });

  it('retracts an op that never ran, as if never invoked', () => {
    const h = new History();
    h.invoke(0, 'write', 'a', 'x', 'w', 1);
    h.invoke(1, 'cas', 'a', ['x', 'y'], 'c', 2);
    h.retract(1);
    h.complete(0, 'ok', 3);
    assert.deepEqual(
      h.events.map((e) => [e.process, e.type]),
      [
        [0, 'invoke'],
        [0, 'ok'],
      ],
    );
    assert.ok(!h.isOpen(1));
    assert.throws(() => h.retract(1));
  });
});
