import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Packr } from 'msgpackr';
import {
  CommandError,
  decodeCommand,
  encodeCommand,
  validateCommand,
  type Command,
} from '../../src/state/index.ts';

// Raw msgpack, as another node or a corrupted disk could produce, bypassing encodeCommand.
const raw = new Packr({ useRecords: false, moreTypes: false });

const member = {
  t: 'member.upsert',
  id: 'n1',
  raftAddr: '127.0.0.1:11001',
  httpAddr: '127.0.0.1:12001',
  gossipAddr: '127.0.0.1:7001',
  tags: ['consensus'],
  cpuFreeMilli: 1500,
  memFreeBytes: 2 ** 33,
  status: 'alive',
  at: 1_700_000_000_000,
} as const;

function refusedOn(field: string, value: Record<string, unknown>): void {
  assert.throws(
    () => decodeCommand(raw.pack(value)),
    (err: unknown) => err instanceof CommandError && err.field === field,
    `expected a refusal naming ${field}`,
  );
}

test('every command type survives encode and decode unchanged', () => {
  // The log's format is the contract between the proposing node and every replica.
  const commands: Command[] = [
    { t: 'kv.set', key: 'a', value: new Uint8Array([1, 2]), flags: 3, cas: null, at: 5 },
    { t: 'kv.delete', key: 'a/', recurse: true, cas: null, at: 6 },
    member,
    { t: 'member.remove', id: 'n1', at: 7 },
    { t: 'cluster.init', clusterId: 'c-1', at: 8 },
  ];
  for (const c of commands) assert.deepEqual(decodeCommand(encodeCommand(c)), c);
});

test('encodeCommand stamps the proposing node clock into at, unless at is given', () => {
  // The event time comes from the proposer, so apply never needs a clock.
  const c: Command = { t: 'member.remove', id: 'x' };
  assert.equal(decodeCommand(encodeCommand(c, () => 42)).at, 42);
  assert.equal(decodeCommand(encodeCommand({ ...c, at: 7 }, () => 42)).at, 7);
  const before = Date.now();
  const stamped = decodeCommand(encodeCommand(c)).at ?? -1;
  assert.ok(stamped >= before && stamped <= Date.now());
});

test('a command without at (an old log entry) decodes with at absent', () => {
  // Entries written before at existed must still apply.
  const old = decodeCommand(raw.pack({ t: 'kv.delete', key: 'k', recurse: false, cas: null }));
  assert.equal('at' in old, false);
});

test('each malformed field of the new commands is refused by name', () => {
  // Bad input names the field and never reaches a table.
  refusedOn('id', { ...member, id: '' });
  refusedOn('raftAddr', { ...member, raftAddr: 5 });
  refusedOn('gossipAddr', { ...member, gossipAddr: 'x'.repeat(300) });
  refusedOn('tags', { ...member, tags: 'consensus' });
  refusedOn('tags', { ...member, tags: Array.from({ length: 65 }, (_, i) => `t${i}`) });
  refusedOn('tags[1]', { ...member, tags: ['ok', 7] });
  refusedOn('cpuFreeMilli', { ...member, cpuFreeMilli: 1.5 });
  refusedOn('memFreeBytes', { ...member, memFreeBytes: -1 });
  refusedOn('status', { ...member, status: 'dead' });
  refusedOn('at', { ...member, at: -3 });
  refusedOn('at', { ...member, at: 9e15 });
  refusedOn('id', { t: 'member.remove' });
  refusedOn('clusterId', { t: 'cluster.init', clusterId: '' });
  refusedOn('t', { t: 'member.frobnicate' });
  refusedOn('(entry)', [1, 2] as unknown as Record<string, unknown>);
});

test('encodeCommand refuses a bad command before it is proposed', () => {
  // Validation at the proposer keeps a bad command out of the log altogether.
  assert.throws(
    () => encodeCommand({ ...member, status: 'gone' as 'alive' }),
    (err: unknown) => err instanceof CommandError && err.field === 'status',
  );
});

test('validateCommand drops unknown fields', () => {
  // A replica stores only what it understands, so snapshots of it stay the same size.
  const c = validateCommand({ t: 'cluster.init', clusterId: 'c', extra: 'x' });
  assert.deepEqual(c, { t: 'cluster.init', clusterId: 'c' });
});
