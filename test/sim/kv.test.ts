import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decodeCommand,
  encodeCommand,
  Kv,
  snapshotAppliedIndex,
  type KvCommand,
} from '../../src/sim/kv.ts';

const bytes = (c: KvCommand): Uint8Array => encodeCommand(c);

describe('Kv', () => {
  it('applies write, cas and delete, reporting what happened', () => {
    const kv = new Kv();
    assert.equal(kv.apply(1, new Uint8Array(0)), null);
    assert.deepEqual(kv.apply(2, bytes({ op: 'write', id: 'w', key: 'a', value: '1' })), {
      id: 'w',
      ok: true,
    });
    assert.equal(kv.get('a'), '1');
    assert.deepEqual(
      kv.apply(3, bytes({ op: 'cas', id: 'c1', key: 'a', expected: '0', value: '2' })),
      {
        id: 'c1',
        ok: false,
      },
    );
    assert.equal(kv.get('a'), '1');
    assert.deepEqual(
      kv.apply(4, bytes({ op: 'cas', id: 'c2', key: 'a', expected: '1', value: '2' })),
      {
        id: 'c2',
        ok: true,
      },
    );
    assert.equal(kv.get('a'), '2');
    assert.deepEqual(kv.apply(5, bytes({ op: 'delete', id: 'd', key: 'a' })), {
      id: 'd',
      ok: true,
    });
    assert.equal(kv.get('a'), null);
    assert.equal(kv.apply(6, null), null);
    assert.equal(kv.applied, 6);
  });

  it('refuses to apply out of order', () => {
    const kv = new Kv();
    assert.throws(() => kv.apply(2, null));
    kv.apply(1, null);
    assert.throws(() => kv.apply(1, null));
  });

  it('round-trips snapshots, including the applied index', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.string())), (writes) => {
        const kv = new Kv();
        writes.forEach(([key, value], i) =>
          kv.apply(i + 1, bytes({ op: 'write', id: `w${i}`, key, value })),
        );
        const data = kv.serialize();
        const copy = new Kv();
        copy.restore(data);
        assert.equal(copy.applied, writes.length);
        assert.equal(copy.digest(), kv.digest());
        assert.equal(snapshotAppliedIndex(data), writes.length);
        assert.deepEqual(copy.serialize(), data);
      }),
    );
  });

  it('has an order-independent digest', () => {
    const a = new Kv();
    const b = new Kv();
    a.apply(1, bytes({ op: 'write', id: '1', key: 'x', value: '1' }));
    a.apply(2, bytes({ op: 'write', id: '2', key: 'y', value: '2' }));
    b.apply(1, bytes({ op: 'write', id: '3', key: 'y', value: '2' }));
    b.apply(2, bytes({ op: 'write', id: '4', key: 'x', value: '1' }));
    assert.equal(a.digest(), b.digest());
  });

  it('decodes what it encodes and rejects anything else', () => {
    const cmds: KvCommand[] = [
      { op: 'write', id: 'a', key: 'k', value: 'v' },
      { op: 'cas', id: 'b', key: 'k', expected: 'v', value: 'w' },
      { op: 'delete', id: 'c', key: 'k' },
    ];
    for (const c of cmds) assert.deepEqual(decodeCommand(encodeCommand(c)), c);
    const enc = new TextEncoder();
    assert.throws(() => decodeCommand(enc.encode('{"op":"write","id":"a","key":"k"}')));
    assert.throws(() => decodeCommand(enc.encode('{"op":"bogus","id":"a","key":"k"}')));
    assert.throws(() => decodeCommand(enc.encode('[]')));
    const kv = new Kv();
    assert.throws(() => kv.restore(enc.encode('{"applied":1}')));
  });
});
