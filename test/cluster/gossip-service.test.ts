// The agent's gossip service on loopback with real UDP/TCP: an agent whose --join target is not
// up yet keeps retrying and joins once it is; members carry decoded Sappers metadata; a meta
// change reaches the other side; a graceful leave is seen as left.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { pino } from 'pino';
import { defaultLocalConfig } from '../../src/gossip/core/index.ts';
import { GossipService } from '../../src/cluster/gossip-service.ts';
import type { AgentMeta } from '../../src/cluster/meta.ts';
import { freePort, sleep, waitFor } from '../e2e/cluster.ts';

const logger = pino({ level: 'silent' });

function metaOf(id: string, clusterId: { v: string | null }): () => AgentMeta {
  return () => ({
    nodeId: id,
    raftAddr: `127.0.0.1:1${id.length}`,
    httpAddr: '127.0.0.1:2',
    tags: ['consensus'],
    cpuFreeMilli: 1000,
    memFreeBytes: 1024,
    bootstrapExpect: 0,
    hasState: false,
    clusterId: clusterId.v,
    leaderId: null,
  });
}

describe('gossip service', { timeout: 30_000 }, () => {
  const started: GossipService[] = [];
  after(async () => {
    await Promise.all(started.map((s) => s.close()));
  });

  test('retries --join until the target is up, then shares metadata and leaves', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const cid = { v: null as string | null };
    const start = async (id: string, port: number, join: number): Promise<GossipService> => {
      const s = await GossipService.start({
        nodeId: id,
        bindHost: '127.0.0.1',
        port,
        advertiseHost: '127.0.0.1',
        join: [
          { host: '127.0.0.1', port },
          { host: 'localhost', port: join },
        ],
        meta: metaOf(id, id === 'a' ? cid : { v: null }),
        logger,
        config: defaultLocalConfig,
        metaRefreshMs: 100,
      });
      started.push(s);
      return s;
    };
    const a = await start('a', pa, pb);
    await sleep(700); // a has tried b (not up) a few times
    assert.equal(a.othersAlive(), 0);
    const b = await start('b', pb, pb); // joins only itself: must be found by a's retries
    await waitFor('a and b to see each other', 10_000, () =>
      a.othersAlive() === 1 && b.othersAlive() === 1 ? true : undefined,
    );
    const seen = b.members().find((m) => m.name === 'a');
    assert.equal(seen?.meta?.nodeId, 'a');
    assert.deepEqual(seen?.meta?.tags, ['consensus']);
    assert.equal(seen?.meta?.clusterId, null);

    cid.v = 'cluster-1';
    await waitFor("b to learn a's cluster id", 5_000, () =>
      b.members().find((m) => m.name === 'a')?.meta?.clusterId === 'cluster-1' ? true : undefined,
    );

    await a.leave(2_000);
    await waitFor('b to see a as left', 5_000, () =>
      b.members().find((m) => m.name === 'a')?.state === 'left' ? true : undefined,
    );
  });
});
