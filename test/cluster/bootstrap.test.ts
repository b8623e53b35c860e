// The bootstrap decision (Consul's bootstrap_expect): wait for N agents, only the lowest id
// among those expecting bootstraps, and never once any agent reports an existing cluster; the
// documented-safe layouts never bootstrap twice whatever each agent sees; the settle period.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  BootstrapGate,
  decideBootstrap,
  type BootstrapInput,
  type BootstrapPeer,
} from '../../src/cluster/bootstrap.ts';

function peer(id: string, over: Partial<BootstrapPeer> = {}): BootstrapPeer {
  return {
    id,
    raftAddr: `127.0.0.1:${12000 + Number(id.replace(/\D/g, ''))}`,
    alive: true,
    bootstrapExpect: 0,
    hasState: false,
    clusterId: null,
    leaderId: null,
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
    for (const over of [{ hasState: true }, { clusterId: 'abc' }, { leaderId: 'node7' }]) {
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

  test('seed 21: a flagged agent that sees a lower flagged one waits, even with N agents seen', () => {
    const n1 = peer('n1', { bootstrapExpect: 3 });
    const n6 = peer('n6', { bootstrapExpect: 3 });
    const view = [n6, peer('n2'), peer('n4'), n1];
    assert.equal(
      decideBootstrap({ selfId: 'n6', expect: 3, hasState: false, peers: view }).kind,
      'wait',
    );
    // Once another flagged agent is seen, only flagged agents count toward N.
    const d = decideBootstrap({ selfId: 'n1', expect: 3, hasState: false, peers: view });
    assert.equal(d.kind, 'wait');
    const all = [...view, peer('n8', { bootstrapExpect: 3 })];
    const boot = decideBootstrap({ selfId: 'n1', expect: 3, hasState: false, peers: all });
    assert.deepEqual(boot.kind === 'bootstrap' ? boot.voters.map((v) => v.id) : boot, [
      'n1',
      'n6',
      'n8',
    ]);
  });

  test('flagged agents that disagree on N refuse to bootstrap (conflict)', () => {
    const peers = [peer('a', { bootstrapExpect: 3 }), peer('b', { bootstrapExpect: 5 }), peer('c')];
    const d = decideBootstrap({ selfId: 'a', expect: 3, hasState: false, peers });
    assert.equal(d.kind, 'conflict');
    assert.match(d.kind === 'conflict' ? d.reason : '', /b carries --bootstrap 5/);
  });

  test('property: the documented-safe layouts never bootstrap twice, whatever each agent sees', () => {
    // Layout 1: exactly one flagged agent. Layout 2: exactly N flagged with the same N and fewer
    // than N-1 unflagged. Each agent sees its own arbitrary subset of the others (partitions,
    // gossip lag); a flagged agent without state always advertises its flag (meta.ts).
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 0, max: 4 }),
        fc.boolean(),
        fc.array(fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }), {
          minLength: 12,
          maxLength: 12,
        }),
        (n, extraDraw, single, sees) => {
          const flagged = single ? 1 : n;
          const extras = single ? extraDraw + n : Math.min(extraDraw, Math.max(0, n - 2));
          const ids = Array.from({ length: flagged + extras }, (_, i) => `n${i + 10}`);
          // Flags go to arbitrary ids (not only the lowest): every other one first.
          const order = [
            ...ids.filter((_, i) => i % 2 === 1),
            ...ids.filter((_, i) => i % 2 === 0),
          ];
          const flaggedIds = new Set(order.slice(0, flagged));
          const all = ids.map((id) => peer(id, { bootstrapExpect: flaggedIds.has(id) ? n : 0 }));
          const boots = all.filter((self, i) => {
            if (!flaggedIds.has(self.id)) return false;
            const view = all.filter((p, j) => p.id === self.id || sees[i]?.[j] === true);
            const input: BootstrapInput = {
              selfId: self.id,
              expect: n,
              hasState: false,
              peers: view,
            };
            return decideBootstrap(input).kind === 'bootstrap';
          });
          assert.ok(boots.length <= 1, `bootstrapping: ${boots.map((b) => b.id).join(',')}`);
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('BootstrapGate bootstraps only after settleMs of continuous "bootstrap"', () => {
    const gate = new BootstrapGate(2_000);
    const ready: BootstrapInput = {
      selfId: 'node1',
      expect: 2,
      hasState: false,
      peers: [peer('node1', { bootstrapExpect: 2 }), peer('node2')],
    };
    const notYet: BootstrapInput = { ...ready, peers: [peer('node1', { bootstrapExpect: 2 })] };
    assert.equal(gate.decide(ready, 0).kind, 'wait');
    assert.equal(gate.decide(ready, 1_999).kind, 'wait');
    assert.equal(gate.decide(notYet, 2_100).kind, 'wait', 'a wait restarts the period');
    assert.equal(gate.decide(ready, 2_200).kind, 'wait');
    assert.equal(gate.decide(ready, 4_199).kind, 'wait');
    assert.equal(gate.decide(ready, 4_200).kind, 'bootstrap');
    const lower = { ...ready, peers: [...ready.peers, peer('node0', { bootstrapExpect: 2 })] };
    assert.equal(gate.decide(lower, 4_300).kind, 'wait', 'decided afresh every time');
    assert.throws(() => new BootstrapGate(-1), /settleMs/);
  });
});
