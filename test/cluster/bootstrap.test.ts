// The bootstrap decision (Consul's bootstrap_expect): wait for N agents, only the lowest id
// among those expecting bootstraps, and never once any agent reports an existing cluster.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decideBootstrap, type BootstrapPeer } from '../../src/cluster/bootstrap.ts';

function peer(id: string, over: Partial<BootstrapPeer> = {}): BootstrapPeer {
  return {
    id,
    raftAddr: `127.0.0.1:${12000 + Number(id.replace(/\D/g, ''))}`,
    alive: true,
    bootstrapExpect: 0,
    hasState: false,
    clusterId: null,
    ...over,
  };
}

describe('bootstrap by gossip: the decision', () => {
  test('waits until N live agents are visible, then bootstraps with N voters', () => {
    const self = peer('node1', { bootstrapExpect: 3 });
    const two = decideBootstrap({
      selfId: 'node1',
      expect: 3,
      hasState: false,
      peers: [self, peer('node2')],
    });
    assert.equal(two.kind, 'wait');
    const dead = decideBootstrap({
      selfId: 'node1',
      expect: 3,
      hasState: false,
      peers: [self, peer('node2'), peer('node3', { alive: false })],
    });
    assert.equal(dead.kind, 'wait', 'a dead agent does not count');
    const d = decideBootstrap({
      selfId: 'node1',
      expect: 3,
      hasState: false,
      peers: [self, peer('node2'), peer('node3'), peer('node4')],
    });
    assert.deepEqual(d, {
      kind: 'bootstrap',
      voters: [
        { id: 'node1', raftAddr: '127.0.0.1:12001' },
        { id: 'node2', raftAddr: '127.0.0.1:12002' },
        { id: 'node3', raftAddr: '127.0.0.1:12003' },
      ],
    });
  });

  test('never with its own state, or when any agent reports a cluster', () => {
    const peers = [peer('node1', { bootstrapExpect: 3 }), peer('node2'), peer('node3')];
    assert.equal(
      decideBootstrap({ selfId: 'node1', expect: 3, hasState: true, peers }).kind,
      'never',
    );
    for (const over of [{ hasState: true }, { clusterId: 'abc' }]) {
      const d = decideBootstrap({
        selfId: 'node1',
        expect: 3,
        hasState: false,
        peers: [...peers, peer('node9', over)],
      });
      assert.equal(d.kind, 'never');
    }
  });

  test('of several agents expecting, only the lowest id bootstraps', () => {
    const peers = ['a', 'b', 'c'].map((id) => peer(id, { bootstrapExpect: 3 }));
    const kinds = ['a', 'b', 'c'].map(
      (id) => decideBootstrap({ selfId: id, expect: 3, hasState: false, peers }).kind,
    );
    assert.deepEqual(kinds, ['bootstrap', 'wait', 'wait']);
  });

  test('property: in any shared view at most one agent decides to bootstrap', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^n[0-9]{1,2}$/), { minLength: 1, maxLength: 7 }),
        fc.array(fc.nat(5), { minLength: 7, maxLength: 7 }),
        fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }),
        (ids, expects, alive) => {
          const peers = ids.map((id, i) =>
            peer(id, { bootstrapExpect: expects[i] ?? 0, alive: alive[i] ?? true }),
          );
          const boots = peers.filter(
            (p) =>
              p.alive &&
              decideBootstrap({ selfId: p.id, expect: p.bootstrapExpect, hasState: false, peers })
                .kind === 'bootstrap',
          );
          assert.ok(boots.length <= 1, `bootstrapping: ${boots.map((b) => b.id).join(',')}`);
          for (const b of boots) {
            const d = decideBootstrap({
              selfId: b.id,
              expect: b.bootstrapExpect,
              hasState: false,
              peers,
            });
            if (d.kind === 'bootstrap') assert.equal(d.voters.length, b.bootstrapExpect);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
