// The leader loop's members-table sync: one upsert per Sappers member whose row differs, none
// for plain memberlist peers or other clusters, resource-only drift rate-limited, and a row
// removed only after gossip forgot a member it had seen dead or left.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { GossipPeer } from '../../src/cluster/gossip-service.ts';
import { memberCommands, rowFor, type MemberRowView } from '../../src/cluster/leader-loop.ts';
import type { AgentMeta } from '../../src/cluster/meta.ts';

function meta(id: string, over: Partial<AgentMeta> = {}): AgentMeta {
  return {
    nodeId: id,
    raftAddr: `127.0.0.1:1200${id.slice(-1)}`,
    httpAddr: `127.0.0.1:1100${id.slice(-1)}`,
    tags: [],
    cpuFreeMilli: 1000,
    memFreeBytes: 1 << 30,
    bootstrapExpect: 0,
    hasState: true,
    clusterId: 'c1',
    leaderId: null,
    ...over,
  };
}

function peer(id: string, state: GossipPeer['state'] = 'alive', m: AgentMeta | null = meta(id)) {
  return { name: id, addr: { host: '127.0.0.1', port: 7000 }, state, stateChangeMs: 0, meta: m };
}

const none = new Set<string>();

describe('members table sync', () => {
  test('upserts new and changed Sappers members only', () => {
    const p1 = peer('n1');
    const row1: MemberRowView = rowFor(p1, meta('n1'));
    const cmds = memberCommands(
      [
        p1,
        peer('n2', 'dead'),
        peer('go', 'alive', null),
        peer('n3', 'alive', meta('n3', { clusterId: 'other' })),
      ],
      [row1],
      'c1',
      none,
      none,
    );
    assert.deepEqual(
      cmds.map((c) => [c.t, 'id' in c ? c.id : '', c.t === 'member.upsert' ? c.status : '']),
      [['member.upsert', 'n2', 'failed']],
    );
  });

  test('resource-only drift waits for its turn; a status change does not', () => {
    const p = peer('n1');
    const row = rowFor(p, meta('n1', { memFreeBytes: 5 }));
    const notDue = (): boolean => false;
    assert.equal(memberCommands([p], [row], 'c1', none, none, notDue).length, 0);
    assert.equal(memberCommands([p], [row], 'c1', none, none, () => true).length, 1);
    const suspect = peer('n1', 'suspect');
    assert.equal(memberCommands([suspect], [row], 'c1', none, none, notDue).length, 1);
  });

  test('removes a row only when gossip forgot a member seen gone, outside the Raft config', () => {
    const row = rowFor(peer('n9'), meta('n9'));
    assert.equal(memberCommands([], [row], 'c1', none, none).length, 0, 'never seen gone');
    const gone = new Set(['n9']);
    assert.equal(memberCommands([], [row], 'c1', gone, new Set(['n9'])).length, 0, 'in config');
    assert.deepEqual(memberCommands([], [row], 'c1', gone, none), [
      { t: 'member.remove', id: 'n9' },
    ]);
  });
});
