import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MembersTable, type MemberFields } from '../../src/state/index.ts';

const fields = (id: string, extra: Partial<MemberFields> = {}): MemberFields => ({
  id,
  raftAddr: `10.0.0.1:${id.length}`,
  httpAddr: '10.0.0.1:8500',
  gossipAddr: '10.0.0.1:7946',
  tags: [],
  cpuFreeMilli: 1000,
  memFreeBytes: 1024,
  status: 'alive',
  ...extra,
});

test('upsert replaces the whole row and tracks create and modify indexes', () => {
  // A member row is replaced whole; CreateIndex sticks, ModifyIndex and UpdatedAt follow.
  const t = new MembersTable();
  assert.equal(t.upsert(fields('n1', { tags: ['consensus'] }), 3, 1000), true);
  assert.equal(t.upsert(fields('n1', { status: 'suspect' }), 7, 2000), true);
  const row = t.get('n1');
  assert.equal(row?.status, 'suspect');
  assert.deepEqual(row?.tags, []);
  assert.equal(row?.createIndex, 3);
  assert.equal(row?.modifyIndex, 7);
  assert.equal(row?.updatedAt, 2000);
  assert.equal(t.index, 7);
});

test('an upsert identical to the row changes nothing', () => {
  // Re-announcing a member (after a leader change) must not move its indexes or time.
  const t = new MembersTable();
  t.upsert(fields('n1', { tags: ['a', 'b'] }), 3, 1000);
  assert.equal(t.upsert(fields('n1', { tags: ['a', 'b'] }), 9, 5000), false);
  assert.equal(t.get('n1')?.modifyIndex, 3);
  assert.equal(t.get('n1')?.updatedAt, 1000);
  assert.equal(t.index, 3);
  // Tag order is part of the row.
  assert.equal(t.upsert(fields('n1', { tags: ['b', 'a'] }), 10, 6000), true);
});

test('list is ordered by id and follows inserts and removes', () => {
  // The API lists members by id whatever order they joined in.
  const t = new MembersTable();
  for (const [i, id] of ['n3', 'n10', 'n1', 'n2'].entries()) t.upsert(fields(id), i + 1, 0);
  assert.deepEqual(
    t.list().map((r) => r.id),
    ['n1', 'n10', 'n2', 'n3'],
  );
  assert.equal(t.remove('n10', 9), true);
  assert.equal(t.remove('n10', 10), false);
  assert.equal(t.index, 9);
  assert.deepEqual(
    t.list().map((r) => r.id),
    ['n1', 'n2', 'n3'],
  );
});

test('the stored row does not share the caller tag array', () => {
  // A caller mutating its array afterwards must not change replicated state.
  const t = new MembersTable();
  const tags = ['a'];
  t.upsert(fields('n1', { tags }), 1, 0);
  tags.push('b');
  assert.deepEqual(t.get('n1')?.tags, ['a']);
});
