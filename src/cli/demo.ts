// `sappers demo` (what `npm start` runs): a local 3-node cluster with the embedded defaults.
// It writes through the leader, kills the leader, waits for the re-election, writes again,
// restarts the killed node and reads every key back through it.
import type { Logger } from 'pino';
import { LocalCluster } from '../agent/local-cluster.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitForLeader(cluster: LocalCluster, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const l = cluster.leader();
    if (l !== null) return l;
    await sleep(20);
  }
  throw new Error(`no leader within ${timeoutMs} ms`);
}

/** A restarted node learns the leader within an election timeout; until then reads fail fast. */
async function retry<T>(fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

export async function runDemo(logger: Logger): Promise<number> {
  const ids = ['node1', 'node2', 'node3'];
  const cluster = new LocalCluster({ ids, tickMs: 50, logger, seed: Date.now() >>> 0 });
  for (const id of ids) cluster.start(id);
  try {
    const first = await waitForLeader(cluster, 10_000);
    logger.info({ leader: first }, 'leader elected');
    const written = new Map<string, string>();
    for (let i = 0; i < 10; i++) {
      const index = await cluster.put(`key${i}`, `value${i}`, 5_000);
      written.set(`key${i}`, `value${i}`);
      logger.info({ key: `key${i}`, index }, 'write acknowledged');
    }
    logger.info({ node: first }, 'killing the leader');
    cluster.kill(first);
    const second = await waitForLeader(cluster, 10_000);
    logger.info({ leader: second }, 'new leader elected');
    for (let i = 10; i < 15; i++) {
      await cluster.put(`key${i}`, `value${i}`, 5_000);
      written.set(`key${i}`, `value${i}`);
    }
    logger.info({ node: first }, 'restarting the old leader from its storage');
    cluster.start(first);
    let missing = 0;
    for (const [k, v] of written) {
      const got = await retry(() => cluster.get(first, k, 1_000), 10_000);
      if (got !== v) missing++;
    }
    logger.info(
      { keys: written.size, missing, readThrough: first },
      'read back every acknowledged write',
    );
    return missing === 0 ? 0 : 1;
  } finally {
    cluster.stopAll();
  }
}
