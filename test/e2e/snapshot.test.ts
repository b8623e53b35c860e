// Log compaction and snapshot install across real processes: with a tiny snapshot threshold the
// three voters compact their logs while > 200 keys are written (every write creates a key and
// an event, so the amortized policy spaces the snapshots at about 25, 65 and 190 entries); a
// fourth node started afterwards and joined with POST /join cannot be caught up from the log,
// so the leader sends it a snapshot. node4 ends with every key (stale reads: its own replica),
// holds the installed snapshot in DATA_DIR/snapshots, and still has every key after a SIGKILL
// and restart.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { http, killAllChildren, mustHttp, TestCluster, waitFor, type Agent } from './cluster.ts';

const KEYS = 320;
const keyName = (i: number): string => `snap/key-${String(i).padStart(4, '0')}`;

/** Every snap/ key node `a` holds in its own replica (?stale: no leader round trip). */
async function staleKeys(a: Agent): Promise<Map<string, string> | undefined> {
  const o = await http(a.httpAddr, 'GET', '/v1/kv/snap/?recurse&stale', { timeoutMs: 5_000 });
  if (o.kind !== 'response') return undefined;
  if (o.status === 404) return new Map();
  if (o.status !== 200) return undefined;
  const pairs = JSON.parse(o.body) as { Key: string; Value: string | null }[];
  return new Map(pairs.map((p) => [p.Key, Buffer.from(p.Value ?? '', 'base64').toString('utf8')]));
}

function snapshotFiles(a: Agent): { index: number; term: number }[] {
  return readdirSync(join(a.spec.dataDir, 'snapshots'))
    .map((n) => /^(\d{20})-(\d{20})\.snap$/.exec(n))
    .filter((m) => m !== null)
    .map((m) => ({ term: Number(m[1]), index: Number(m[2]) }));
}

/** Indexes of the snapshots `a` took itself (its raft.log says "snapshot taken"). */
function snapshotsTaken(a: Agent): { index: number; compactedTo: number }[] {
  return a
    .logLines()
    .filter((l) => l['msg'] === 'snapshot taken')
    .map((l) => ({ index: Number(l['index']), compactedTo: Number(l['compactedTo']) }));
}

describe('e2e: a node added after compaction catches up by snapshot', { timeout: 120_000 }, () => {
  const cluster = new TestCluster({
    name: 'snapshot',
    tickMs: 50,
    // Autopilot keeps --voters voters (3 by default) and would demote the fourth that /join
    // adds; with a target of 5, node4 stays the voter this test expects it to become.
    extraArgs: ['--snapshot-threshold', '20', '--snapshot-trailing', '10', '--voters', '5'],
  });

  after(async () => {
    await cluster.close();
    await killAllChildren();
  });

  test('node4 joins after > 200 writes and compaction, and ends with every key', async () => {
    await cluster.diagnose(async () => {
      const leader = await cluster.form(['node1', 'node2', 'node3']);
      const expected = new Map<string, string>();
      // Eight writers through every node (followers forward to the leader).
      const voters = cluster.list();
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async (_, w) => {
          for (let i = next++; i < KEYS; i = next++) {
            const via = voters[(i + w) % voters.length] ?? leader;
            const value = `value-${i}`;
            const res = await mustHttp(via.httpAddr, 'PUT', `/v1/kv/${keyName(i)}`, {
              body: value,
            });
            assert.equal(res.body, 'true');
            expected.set(keyName(i), value);
          }
        }),
      );
      assert.equal(expected.size, KEYS);

      // The voters compacted their logs: the leader's log no longer starts at index 1.
      const compacted = await waitFor('the leader to compact its log', 10_000, () => {
        const taken = snapshotsTaken(leader);
        const last = taken.at(-1);
        return last !== undefined && last.compactedTo > 100 ? last : undefined;
      });
      console.log(
        `leader snapshots at ${snapshotsTaken(leader)
          .map((s) => s.index)
          .join(', ')}`,
      );
      for (const a of voters) {
        assert.ok(snapshotsTaken(a).length >= 3, `${a.id} took automatic snapshots`);
      }

      const node4 = await cluster.define('node4');
      node4.start();
      await node4.waitReady();
      const follower = voters.find((a) => a !== leader) ?? leader;
      await cluster.join(node4, follower); // forwarded to the leader
      const started = Date.now();
      const got = await waitFor('node4 to hold every key', 30_000, async () => {
        const m = await staleKeys(node4);
        return m !== undefined && m.size === KEYS ? m : undefined;
      });
      console.log(`node4 caught up ${Date.now() - started} ms after joining`);
      assert.deepEqual(got, expected);

      // The state came from a snapshot: node4 holds one it did not take itself, at or past what
      // the leader had compacted away when node4 joined.
      const own = new Set(snapshotsTaken(node4).map((s) => s.index));
      const installed = snapshotFiles(node4).filter((s) => !own.has(s.index));
      assert.ok(
        installed.some((s) => s.index >= compacted.compactedTo),
        `no installed snapshot in ${node4.spec.dataDir}/snapshots: files ${JSON.stringify(
          snapshotFiles(node4),
        )}, taken by node4 ${JSON.stringify([...own])}, leader compacted to ${compacted.compactedTo}`,
      );

      // A voter now, and its linearizable reads work.
      const cfg = JSON.parse(
        (await mustHttp(node4.httpAddr, 'GET', '/v1/operator/raft/configuration')).body,
      ) as { Servers: { ID: string; Voter: boolean }[] };
      assert.deepEqual(
        cfg.Servers.filter((s) => s.Voter)
          .map((s) => s.ID)
          .sort(),
        ['node1', 'node2', 'node3', 'node4'],
      );
      const last = await mustHttp(node4.httpAddr, 'GET', `/v1/kv/${keyName(KEYS - 1)}?raw`);
      assert.equal(last.body, `value-${KEYS - 1}`);

      // The installed snapshot is durable: after SIGKILL node4 restarts with every key.
      await node4.kill9();
      node4.start();
      await node4.waitReady();
      const again = await waitFor('node4 to reload every key', 20_000, async () => {
        const m = await staleKeys(node4);
        return m !== undefined && m.size === KEYS ? m : undefined;
      });
      assert.deepEqual(again, expected);
    });
  });
});
