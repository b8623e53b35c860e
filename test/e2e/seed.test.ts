// The seed's own commands, typed as its README types them (through ./sappers, from a directory
// holding ./raft/<node>, with the default-flag form `--raft-addr ":PORT"`): node1 bootstraps,
// node2 and node3 find it by gossip (no POST /join), and the status/operator endpoints and raft.log show a
// three-voter cluster with an elected leader.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { existsSync } from 'node:fs';
import { killAllChildren, mustHttp, runCli, TestCluster, type Agent } from './cluster.ts';

describe('e2e: the seed commands', { timeout: 120_000 }, () => {
  const cluster = new TestCluster({ name: 'seed', seedForm: true });
  let leader: Agent;

  before(async () => {
    await cluster.diagnose(async () => {
      // `./sappers --node-id node1 --gossip-port G --raft-addr ":R" --http-addr ":H"
      //   --bootstrap 3 ./raft/node1`, then node2 and node3 without --bootstrap; they find
      // each other by gossip (--join names node1's gossip port instead of the default 7946).
      leader = await cluster.form(['node1', 'node2', 'node3'], '3');
    });
  });

  after(async () => {
    await cluster.close();
    await killAllChildren();
  });

  test('the agents were started with the seed command line', () => {
    const node1 = cluster.get('node1');
    const args = node1.args(['--bootstrap', '3']);
    assert.equal(args.at(-1), './raft/node1');
    assert.match(args[args.indexOf('--raft-addr') + 1] ?? '', /^:\d+$/);
    assert.match(args[args.indexOf('--http-addr') + 1] ?? '', /^:\d+$/);
  });

  test('/v1/status/leader: every node names the same leader, a voter', async () => {
    await cluster.diagnose(async () => {
      const voters = cluster.list().map((a) => a.raftAddr);
      for (const a of cluster.list()) {
        // "localhost", as the seed's curl commands use: the API listens on every interface.
        const port = a.httpAddr.split(':')[1] ?? '';
        const res = await mustHttp(`localhost:${port}`, 'GET', '/v1/status/leader');
        const addr = JSON.parse(res.body) as unknown;
        assert.equal(addr, leader.raftAddr, `leader according to ${a.id}`);
        assert.ok(voters.includes(leader.raftAddr));
      }
      const peers = JSON.parse(
        (await mustHttp(leader.httpAddr, 'GET', '/v1/status/peers')).body,
      ) as string[];
      assert.deepEqual([...peers].sort(), [...voters].sort());
    });
  });

  test('/v1/operator/raft/configuration: three voters, one leader', async () => {
    await cluster.diagnose(async () => {
      for (const a of cluster.list()) {
        const res = await mustHttp(a.httpAddr, 'GET', '/v1/operator/raft/configuration');
        const cfg = JSON.parse(res.body) as {
          Servers: { ID: string; Address: string; Leader: boolean; Voter: boolean }[];
          Index: number;
        };
        const servers = [...cfg.Servers].sort((x, y) => x.ID.localeCompare(y.ID));
        assert.deepEqual(
          servers.map((s) => [s.ID, s.Address, s.Voter]),
          ['node1', 'node2', 'node3'].map((id) => [id, cluster.get(id).raftAddr, true]),
          `configuration on ${a.id}`,
        );
        assert.deepEqual(
          servers.filter((s) => s.Leader).map((s) => s.ID),
          [leader.id],
        );
        assert.ok(cfg.Index > 0);
      }
    });
  });

  test('a write on one node is read on the others (Consul and seed endpoints)', async () => {
    await cluster.diagnose(async () => {
      const [a, b, c] = cluster.list();
      assert.ok(a !== undefined && b !== undefined && c !== undefined);
      const put = await mustHttp(c.httpAddr, 'PUT', '/v1/kv/seed/greeting', { body: 'hello' });
      assert.equal(put.body, 'true');
      const got = await mustHttp(b.httpAddr, 'GET', '/v1/kv/seed/greeting?raw');
      assert.equal(got.body, 'hello');
      // The seed's own API: POST /key {"k": "v"}, GET /key/<k> → {"<k>": "<v>"}.
      await mustHttp(b.httpAddr, 'POST', '/key', { body: '{"seedkey":"seedvalue"}' });
      const seed = await mustHttp(a.httpAddr, 'GET', '/key/seedkey');
      assert.deepEqual(JSON.parse(seed.body), { seedkey: 'seedvalue' });
    });
  });

  test('`./sappers --node-id node1 --trigger-snapshot ./raft/node1` prints the snapshot', async () => {
    await cluster.diagnose(async () => {
      const r = await runCli(['--node-id', 'node1', '--trigger-snapshot', './raft/node1'], {
        cwd: cluster.root,
      });
      assert.equal(r.code, 0, r.stderr);
      const m = /^snapshot index (\d+) term (\d+) path (\S+)\n$/.exec(r.stdout);
      assert.ok(m !== null, r.stdout);
      assert.ok(existsSync(m[3] ?? ''), `${m[3]} exists`);
    });
  });

  test('raft.log (tail -f-able JSON lines) records the leader election', async () => {
    await cluster.diagnose(() => {
      const elected = leader.roleLines().filter((l) => l.role === 'leader');
      assert.ok(elected.length >= 1, `no leader-election line in ${leader.logFile}`);
      assert.equal(elected.at(-1)?.leader, leader.id);
      assert.match(elected.at(-1)?.msg ?? '', /leader/, 'a line a person can read');
      // The followers' logs name the leader they learned of.
      for (const a of cluster.list().filter((x) => x !== leader)) {
        const learned = a.roleLines().filter((l) => l.leader === leader.id);
        assert.ok(learned.length >= 1, `${a.id}'s raft.log never names ${leader.id} as leader`);
      }
      // node1 (--bootstrap 3) waited for node2 and node3 in gossip and bootstrapped with them.
      const boot = cluster
        .get('node1')
        .logLines()
        .filter((l) => l['msg'] === 'bootstrapped a new cluster');
      assert.equal(boot.length, 1, 'node1 bootstrapped once');
      assert.deepEqual(boot[0]?.['voters'], ['node1', 'node2', 'node3']);
    });
  });
});
