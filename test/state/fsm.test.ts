import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ManagementState,
  encodeCommand,
  decodeCommand,
  CommandError,
} from '../../src/state/index.ts';
import type { Entry } from '../../src/raft/index.ts';

const entry = (index: number, data: Uint8Array): Entry => ({
  type: 'normal',
  term: 1,
  index,
  data,
});
const set = (key: string, value: string, cas: number | null = null): Uint8Array =>
  encodeCommand({ t: 'kv.set', key, value: new TextEncoder().encode(value), flags: 0, cas });

test('a snapshot restores an identical key-value table on another replica', () => {
  // State machine safety across InstallSnapshot: restore(snapshot()) reproduces every field.
  const a = new ManagementState();
  a.apply(entry(1, set('x', '1')));
  a.apply(entry(2, set('y', '2')));
  a.apply(entry(3, encodeCommand({ t: 'kv.delete', key: 'x', recurse: false, cas: null })));
  const b = new ManagementState();
  b.restore({
    meta: { index: 3, term: 1, config: { voters: ['n1'], learners: [] } },
    data: a.snapshot(),
  });
  assert.deepEqual(b.kv.all(), a.kv.all());
  assert.equal(b.kv.index, 3);
  assert.equal(b.lastApplied, 3);
});

test('apply returns the cas outcome to the proposer', () => {
  // A failed check-and-set is a result (false), not an error, and changes nothing.
  const s = new ManagementState();
  assert.equal(s.apply(entry(1, set('k', 'a', 0))), true);
  assert.equal(s.apply(entry(2, set('k', 'b', 0))), false);
  assert.equal(new TextDecoder().decode(s.kv.get('k')?.value), 'a');
});

test('a malformed command is refused with the field named', () => {
  // Log entries come from disk and the wire: decoding validates every field.
  const bad = encodeCommand({
    t: 'kv.set',
    key: 'k',
    value: new Uint8Array(1),
    flags: 0,
    cas: null,
  });
  bad[bad.length - 1] = 0xff; // corrupt the last field's value
  assert.throws(() => decodeCommand(new Uint8Array([0xc1])), CommandError);
  assert.throws(
    () =>
      decodeCommand(
        encodeCommand({ t: 'kv.set', key: 'k', value: new Uint8Array(1), flags: 1.5, cas: null }),
      ),
    (err: unknown) => err instanceof CommandError && err.field === 'flags',
  );
  assert.throws(
    () => decodeCommand(encodeCommand({ t: 'kv.delete', key: 'k', recurse: false, cas: -1 })),
    (err: unknown) => err instanceof CommandError && err.field === 'cas',
  );
});
