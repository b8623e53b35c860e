// Reconnecting gossip islands: failed members are remembered (bounded, timed out), the target is
// one failed member or unreached join target that is not alive; and with real GossipServices on
// loopback two islands merge through reconnect, and stay split without it.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { pino } from 'pino';
import { defaultLocalConfig } from '../../src/gossip/core/index.ts';
import { GossipService } from '../../src/cluster/gossip-service.ts';
import type { AgentMeta } from '../../src/cluster/meta.ts';
import {
  FailedMembers,
  pickReconnectTarget,
  type ReconnectMember,
} from '../../src/cluster/reconnect.ts';
import { freePort, sleep, waitFor } from '../e2e/cluster.ts';

const at = (port: number): { host: string; port: number } => ({ host: '10.0.0.1', port });

function member(name: string, port: number, state: ReconnectMember['state']): ReconnectMember {
  return { name, addr: at(port), state };
}

describe('reconnect: what to remember and whom to try', () => {
  test('remembers failed members after gossip forgets them, forgets alive and left ones', () => {
    const f = new FailedMembers(10_000, 8);
    f.observe([member('a', 1, 'alive'), member('b', 2, 'dead'), member('c', 3, 'left')], 'a', 0);
    assert.deepEqual(
      f.list().map((m) => [m.name, m.failedAtMs]),
      [['b', 0]],
    );
    f.observe([member('a', 1, 'alive'), member('b', 2, 'dead')], 'a', 5_000);
    assert.equal(f.list()[0]?.failedAtMs, 0, 'first seen failed is kept');
    f.observe([member('a', 1, 'alive')], 'a', 6_000);
    assert.equal(f.size, 1, 'still remembered once gossip reaps it');
    f.observe([member('a', 1, 'alive')], 'a', 10_000);
    assert.equal(f.size, 0, 'timed out');
    f.observe([member('b', 2, 'dead')], 'a', 11_000);
    f.observe([member('b', 2, 'alive')], 'a', 12_000);
    assert.equal(f.size, 0, 'back alive: forgotten');
  });

  test('keeps at most max members, dropping the oldest', () => {
    const f = new FailedMembers(1e9, 3);
    for (let i = 0; i < 6; i++) f.observe([member(`m${i}`, i, 'dead')], 'self', i);
    assert.deepEqual(
      f.list().map((m) => m.name),
      ['m3', 'm4', 'm5'],
    );
    assert.throws(() => new FailedMembers(0), /reconnectTimeoutMs/);
  });

  test('picks a failed member or an unreached join target, never a live one or itself', () => {
    const base = {
      selfName: 'a',
      selfAddr: at(1),
      members: [member('a', 1, 'alive'), member('b', 2, 'alive'), member('c', 3, 'suspect')],
      random: () => 0.99,
    };
    assert.equal(pickReconnectTarget({ ...base, failed: [], joinTargets: [at(1), at(2)] }), null);
    const failed = [
      { name: 'b', addr: at(2), failedAtMs: 0 },
      { name: 'd', addr: at(4), failedAtMs: 0 },
    ];
    assert.deepEqual(pickReconnectTarget({ ...base, failed, joinTargets: [at(3)] }), at(4));
    const both = pickReconnectTarget({ ...base, failed, joinTargets: [at(5)], random: () => 0 });
    assert.deepEqual(both, at(4));
    const last = pickReconnectTarget({ ...base, failed, joinTargets: [at(5)] });
    assert.deepEqual(last, at(5));
  });
});

function meta(id: string): () => AgentMeta {
  return () => ({
    nodeId: id,
    raftAddr: '127.0.0.1:1',
    httpAddr: '127.0.0.1:2',
    tags: [],
    cpuFreeMilli: 1000,
    memFreeBytes: 1024,
    bootstrapExpect: 0,
    hasState: false,
    clusterId: null,
    leaderId: null,
  });
}

describe('reconnect with real gossip on loopback', { timeout: 90_000 }, () => {
  const started: GossipService[] = [];
  after(async () => {
    await Promise.all(started.map((s) => s.close()));
  });

  // a and b form one island, c and d another; a's --join lists c, which was not up when a
  // joined b. Only reconnect (a is not alone) can bring the islands together.
  async function islands(reconnectIntervalMs: number): Promise<GossipService[]> {
    const [pa, pb, pc, pd] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const start = async (id: string, port: number, join: number[]): Promise<GossipService> => {
      const s = await GossipService.start({
        nodeId: id,
        bindHost: '127.0.0.1',
        port,
        advertiseHost: '127.0.0.1',
        join: join.map((p) => ({ host: '127.0.0.1', port: p })),
        meta: meta(id),
        logger: pino({ level: 'silent' }),
        config: defaultLocalConfig,
        reconnectIntervalMs,
      });
      started.push(s);
      return s;
    };
    const a = await start('a', pa, [pb, pc]);
    const b = await start('b', pb, [pa]);
    await waitFor('a and b to join', 10_000, () =>
      a.othersAlive() === 1 && b.othersAlive() === 1 ? true : undefined,
    );
    const d = await start('d', pd, [pc]);
    const c = await start('c', pc, [pd]);
    await waitFor('c and d to join', 10_000, () =>
      c.othersAlive() === 1 && d.othersAlive() === 1 ? true : undefined,
    );
    return [a, b, c, d];
  }

  test('two islands merge through reconnect', async () => {
    const all = await islands(300);
    // Reconnect runs from the join loop; on a loaded CI machine its timers and the broadcasts
    // that follow can lag, so allow well past the usual 1-3 s.
    await waitFor('every agent to see the other three', 40_000, () =>
      all.every((s) => s.othersAlive() === 3) ? true : undefined,
    );
  });

  test('without reconnect (an hour away) the islands stay split', async () => {
    const all = await islands(3_600_000);
    await sleep(4_500); // two of the join loop's checks
    assert.deepEqual(
      all.map((s) => s.othersAlive()),
      [1, 1, 1, 1],
    );
  });
});
