// Recovery after quorum is lost for good, with real processes: a 3-node cluster writes keys
// (compacting its log into snapshots), two nodes are SIGKILLed and never come back, and the
// survivor cannot commit anything. `sappers --recover DATA_DIR` on the stopped survivor makes it
// the only voter; restarted, it leads alone with every key, accepts writes, and a fresh node
// joins it and receives everything. Refusals: a running agent or an empty DATA_DIR exit 1, bad
// flags exit 2. `sappers status` prints the recovered cluster.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  http,
  killAllChildren,
  mustHttp,
  runCli,
  TestCluster,
  waitFor,
  type Agent,
} from './cluster.ts';

const KEYS = 60;
const keyName = (i: number): string => `recover/key-${String(i).padStart(3, '0')}`;

async function keysOf(a: Agent, stale: boolean): Promise<Map<string, string> | undefined> {
  const path = `/v1/kv/recover/?recurse${stale ? '&stale' : ''}`;
  const o = await http(a.httpAddr, 'GET', path, { timeoutMs: 5_000 });
  if (o.kind !== 'response') return undefined;
  if (o.status === 404) return new Map();
  if (o.status !== 200) return undefined;
  const pairs = JSON.parse(o.body) as { Key: string; Value: string | null }[];
  return new Map(pairs.map((p) => [p.Key, Buffer.from(p.Value ?? '', 'base64').toString('utf8')]));
}

const sorted = (m: Map<string, string>): [string, string][] =>
  [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

describe('e2e: sappers --recover after quorum is lost for good', { timeout: 150_000 }, () => {
  const cluster = new TestCluster({
    name: 'recover',
    tickMs: 50,
    extraArgs: ['--snapshot-threshold', '20', '--snapshot-trailing', '5'],
  });

  after(async () => {
    await cluster.close();
    await killAllChildren();
  });

  test('the survivor, recovered, leads alone with every key and takes new members', async () => {
    await cluster.diagnose(async () => {
      await cluster.form(['node1', 'node2', 'node3']);
      const node1 = cluster.get('node1');
      const expected = new Map<string, string>();
      for (let i = 0; i < KEYS; i++) {
        const via = cluster.list()[i % 3] ?? node1;
        const res = await mustHttp(via.httpAddr, 'PUT', `/v1/kv/${keyName(i)}`, {
          body: `v${i}`,
        });
        assert.equal(res.body, 'true');
        expected.set(keyName(i), `v${i}`);
      }
      // node1 has applied everything before the others die.
      await waitFor('node1 to hold every key', 10_000, async () => {
        const got = await keysOf(node1, true);
        return got?.size === KEYS ? true : undefined;
      });

      await cluster.get('node2').kill9();
      await cluster.get('node3').kill9();
      // Without a quorum nothing commits: the write is not acknowledged.
      const stuck = await http(node1.httpAddr, 'PUT', '/v1/kv/recover/stuck', {
        body: 'no',
        timeoutMs: 4_000,
      });
      assert.ok(
        !(stuck.kind === 'response' && stuck.status === 200 && stuck.body === 'true'),
        `a write without quorum was acknowledged: ${JSON.stringify(stuck)}`,
      );

      // Refused while the agent runs: exit 1, DATA_DIR untouched.
      const busy = await runCli(['--recover', node1.spec.dataDir]);
      assert.equal(busy.code, 1, `running agent: ${busy.stderr}`);
      assert.match(busy.stderr, /running/);

      await node1.kill9();
      const r = await runCli(['--recover', node1.spec.dataDir]);
      assert.equal(r.code, 0, `--recover: ${r.stderr}\n${r.stdout}`);
      assert.match(r.stdout, /old configuration: voters \[node1, node2, node3\]/);
      assert.match(r.stdout, /new configuration: voters \[node1\]/);
      const written = /index (\d+) term (\d+)/.exec(r.stdout);
      assert.ok(written !== null, r.stdout);
      const confIndex = Number(written[1]);

      node1.start();
      await node1.waitReady();
      const leader = await cluster.leader([node1]);
      assert.equal(leader.id, 'node1');
      // Linearizable read through the new leader: every key written before the loss.
      const got = await waitFor('node1 to serve every key', 10_000, () => keysOf(node1, false));
      for (const [k, v] of expected) assert.equal(got.get(k), v, `key ${k}`);
      // The unacknowledged write was in node1's log; recovery commits the whole log, so it may
      // surface (documented). Nothing else may.
      const extra = [...got.keys()].filter((k) => !expected.has(k));
      assert.ok(
        extra.length === 0 || (extra.length === 1 && extra[0] === 'recover/stuck'),
        `unexpected keys ${extra.join(', ')}`,
      );
      const put = await mustHttp(node1.httpAddr, 'PUT', '/v1/kv/recover/after', { body: 'yes' });
      assert.equal(put.body, 'true');
      expected.set('recover/after', 'yes');
      got.set('recover/after', 'yes');
      // The recovery entry is in the replicated event log like any membership change.
      const events = await mustHttp(node1.httpAddr, 'GET', `/v1/sappers/events?from=${confIndex}`);
      assert.match(events.body, /raft\.conf/);

      // A fresh node joins the recovered cluster and receives every key (by snapshot).
      const node4 = await cluster.define('node4');
      node4.start();
      await node4.waitReady();
      await cluster.join(node4, node1);
      const onNode4 = await waitFor('node4 to hold every key', 20_000, async () => {
        const m = await keysOf(node4, true);
        return m !== undefined && [...expected.keys()].every((k) => m.has(k)) ? m : undefined;
      });
      for (const [k, v] of expected) assert.equal(onNode4.get(k), v, `node4 key ${k}`);
      assert.deepEqual(sorted(onNode4), sorted(got), 'node4 holds what node1 holds');
      const again = await mustHttp(node1.httpAddr, 'PUT', '/v1/kv/recover/two', { body: '2' });
      assert.equal(again.body, 'true');

      // `sappers status` on the recovered leader, by DATA_DIR and by address: the old voters
      // are gone from the configuration, node4 is in it.
      for (const args of [
        ['status', node1.spec.dataDir],
        ['status', '--http-addr', node1.httpAddr],
      ]) {
        const st = await runCli(args);
        assert.equal(st.code, 0, `${args.join(' ')}: ${st.stderr}`);
        assert.match(st.stdout, /Leader: node1 /);
        assert.match(st.stdout, /^node1 .* leader /m);
        assert.match(st.stdout, /^node4 .* (voter|replica) /m);
        assert.doesNotMatch(st.stdout, /^node[23] .*:\d+ +(leader|voter|replica) /m);
      }
    });
  });

  test('--recover refuses an empty DATA_DIR (exit 1) and bad flags (exit 2)', async () => {
    const empty = join(cluster.root, 'empty');
    mkdirSync(empty, { recursive: true });
    const none = await runCli(['--recover', empty]);
    assert.equal(none.code, 1, none.stderr);
    assert.match(none.stderr, /no Raft state/);
    const missing = await runCli(['--recover']);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /DATA_DIR/);
    const both = await runCli(['--recover', '--trigger-snapshot', empty]);
    assert.equal(both.code, 2, both.stderr);
    assert.match(both.stderr, /cannot be combined/);
  });
});
