// The command line as a user types it (`./sappers ...` from a directory holding ./raft/<node>):
// --trigger-snapshot against a running agent and without one, bad input (exit 2 with a message
// naming the flag or the problem), and --help.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  freePort,
  killAllChildren,
  mustHttp,
  runCli,
  TestCluster,
  type Agent,
  type CliResult,
} from './cluster.ts';

/** Exit 2, a one-line-ish message on stderr matching `pattern`, and no crash (stack trace). */
function assertUsageError(r: CliResult, pattern: RegExp, what: string): void {
  const shown = `exit ${r.code} signal ${r.signal}\nstderr: ${r.stderr}\nstdout: ${r.stdout.slice(0, 2000)}`;
  assert.match(r.stderr, pattern, `${what}: the message names the problem\n${shown}`);
  assert.doesNotMatch(r.stderr, /^\s+at /m, `${what}: a message, not a stack trace\n${shown}`);
  assert.equal(r.code, 2, `${what}: exit code\n${shown}`);
}

describe('e2e: the command line', { timeout: 120_000 }, () => {
  const cluster = new TestCluster({ name: 'cli', viaLauncher: true, tickMs: 50 });
  let agent: Agent;

  before(async () => {
    await cluster.diagnose(async () => {
      // `./sappers --node-id leader-node ... --bootstrap 1 ./raft/leader-node`, cwd = the root.
      agent = await cluster.form(['leader-node']);
    });
  });

  after(async () => {
    await cluster.close();
    await killAllChildren();
  });

  test('--trigger-snapshot in the seed form prints index, term and path, exit 0', async () => {
    await cluster.diagnose(async () => {
      const put = await mustHttp(agent.httpAddr, 'PUT', '/v1/kv/cli/a', { body: 'x' });
      assert.equal(put.body, 'true');
      const written = JSON.parse((await mustHttp(agent.httpAddr, 'GET', '/v1/kv/cli/a')).body) as {
        ModifyIndex: number;
      }[];
      const modifyIndex = written[0]?.ModifyIndex ?? Infinity;

      const r = await runCli(
        ['--node-id', 'leader-node', '--trigger-snapshot', './raft/leader-node'],
        { cwd: cluster.root },
      );
      assert.equal(r.code, 0, `exit code; stderr: ${r.stderr}`);
      const m = /^snapshot index (\d+) term (\d+) path (\S+)\n$/.exec(r.stdout);
      assert.ok(m !== null, `output: ${JSON.stringify(r.stdout)}`);
      const [, index = '', term = '', path = ''] = m;
      assert.ok(Number(index) >= modifyIndex, `index ${index} covers the write at ${modifyIndex}`);
      assert.ok(Number(term) >= 1);
      assert.ok(existsSync(path), `${path} exists`);
      assert.ok(path.startsWith(join(agent.spec.dataDir, 'snapshots')), path);
      const logged = agent
        .logLines()
        .filter((l) => l['msg'] === 'snapshot taken' && l['index'] === Number(index));
      assert.equal(logged.length, 1, 'raft.log records the snapshot');

      // Nothing applied since: the same snapshot again, without --node-id this time.
      const again = await runCli(['--trigger-snapshot', './raft/leader-node'], {
        cwd: cluster.root,
      });
      assert.equal(again.code, 0, again.stderr);
      assert.equal(again.stdout, r.stdout);
    });
  });

  test('--trigger-snapshot with no running agent: exit 1 with a message', async () => {
    await cluster.diagnose(async () => {
      mkdirSync(join(cluster.root, 'raft', 'nobody'), { recursive: true });
      const none = await runCli(['--node-id', 'nobody', '--trigger-snapshot', './raft/nobody'], {
        cwd: cluster.root,
      });
      assert.equal(none.code, 1, none.stderr);
      assert.match(none.stderr, /no running agent/);
      assert.equal(none.stdout, '');

      const e = await agent.terminate();
      assert.deepEqual(e, { code: 0, signal: null });
      const stopped = await runCli(
        ['--node-id', 'leader-node', '--trigger-snapshot', './raft/leader-node'],
        { cwd: cluster.root },
      );
      assert.equal(stopped.code, 1, stopped.stderr);
      assert.match(stopped.stderr, /no running agent owns \.\/raft\/leader-node/);
    });
  });

  test('bad flags: exit 2 with a message naming the flag', async () => {
    const p1 = String(await freePort());
    const p2 = String(await freePort());
    const dir = join(cluster.root, 'raft', 'bad');
    const base = ['--node-id', 'bad', '--raft-addr', `127.0.0.1:${p1}`, '--http-addr'];
    const cases: [string, string[], RegExp][] = [
      ['unknown flag', ['--frobnicate', dir], /unknown option '--frobnicate'/],
      [
        'port out of range',
        ['--node-id', 'bad', '--raft-addr', ':99999', '--http-addr', `127.0.0.1:${p2}`, dir],
        /--raft-addr.*99999/,
      ],
      ['missing DATA_DIR', [...base, `127.0.0.1:${p2}`], /DATA_DIR/],
      ['missing --node-id', ['--raft-addr', `127.0.0.1:${p1}`, dir], /--node-id/],
      ['bad --log-level', [...base, `127.0.0.1:${p2}`, '--log-level', 'LOUD', dir], /--log-level/],
      [
        'bad --gossip-port',
        [...base, `127.0.0.1:${p2}`, '--gossip-port', '70000', dir],
        /--gossip-port/,
      ],
      ['same port twice', [...base, `127.0.0.1:${p1}`, dir], /--http-addr/],
      [
        'bad --encrypt key (10 bytes)',
        [...base, `127.0.0.1:${p2}`, '--encrypt', 'AAAAAAAAAAAAAA==', dir],
        /--encrypt.*10 bytes/,
      ],
      ['--encrypt not base64', [...base, `127.0.0.1:${p2}`, '--encrypt', 'no!', dir], /--encrypt/],
      [
        '--gossip-label over 255 bytes',
        [...base, `127.0.0.1:${p2}`, '--gossip-label', 'x'.repeat(256), dir],
        /--gossip-label.*256 bytes/,
      ],
      ['even --voters', [...base, `127.0.0.1:${p2}`, '--voters', '2', dir], /--voters.*odd/],
      ['bad --join', [...base, `127.0.0.1:${p2}`, '--join', 'nohost', dir], /--join/],
      ['bad --bind', [...base, `127.0.0.1:${p2}`, '--bind', 'eth0', dir], /--bind/],
      ['bad --tags', [...base, `127.0.0.1:${p2}`, '--tags', 'a,b c', dir], /--tags/],
    ];
    // Two at a time: each is a Node start-up.
    for (let i = 0; i < cases.length; i += 2) {
      const batch = cases.slice(i, i + 2);
      const results = await Promise.all(batch.map(([, args]) => runCli(args)));
      batch.forEach(([what, , pattern], j) => {
        const r = results[j];
        assert.ok(r !== undefined);
        assertUsageError(r, pattern, what);
      });
    }
    assert.ok(!existsSync(join(dir, 'agent.json')), 'no agent ever started');
  });

  test('a port already in use: exit 2 naming the address', async () => {
    const port = await freePort();
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(port, '127.0.0.1', r));
    try {
      const raft = await freePort();
      const r = await runCli([
        '--node-id',
        'busy',
        '--raft-addr',
        `127.0.0.1:${raft}`,
        '--http-addr',
        `127.0.0.1:${port}`,
        join(cluster.root, 'raft', 'busy'),
      ]);
      assertUsageError(r, new RegExp(`EADDRINUSE.*127\\.0\\.0\\.1:${port}`), 'port in use');
      const http = await freePort();
      const g = await runCli([
        '--node-id',
        'busy',
        '--raft-addr',
        `127.0.0.1:${raft}`,
        '--http-addr',
        `127.0.0.1:${http}`,
        '--gossip-port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--join',
        `127.0.0.1:${port}`,
        join(cluster.root, 'raft', 'busy'),
      ]);
      assertUsageError(g, new RegExp(`--gossip-port ${port}: .*EADDRINUSE`), 'gossip port in use');
    } finally {
      await new Promise((r) => busy.close(r));
    }
  });

  /** Another node id started on leader-node's DATA_DIR, on free ports. */
  const runIntruder = async (): Promise<Awaited<ReturnType<typeof runCli>>> =>
    runCli(
      [
        '--node-id',
        'intruder',
        '--raft-addr',
        `127.0.0.1:${await freePort()}`,
        '--http-addr',
        `127.0.0.1:${await freePort()}`,
        './raft/leader-node',
      ],
      { cwd: cluster.root },
    );

  test('DATA_DIR of another node id: exit 2 naming the owner (agent stopped)', async () => {
    await cluster.diagnose(async () => {
      if (agent.running) await agent.terminate();
      const r = await runIntruder();
      assertUsageError(r, /belongs to node "leader-node"/, 'DATA_DIR of another node');
    });
  });

  test('DATA_DIR of another node id: exit 2 naming the owner (agent running)', async () => {
    await cluster.diagnose(async () => {
      if (!agent.running) {
        agent.start();
        await agent.waitReady();
      }
      const r = await runIntruder();
      assertUsageError(r, /leader-node/, 'DATA_DIR in use by another node');
      assert.ok(agent.running, 'the owner keeps running');
      await mustHttp(agent.httpAddr, 'GET', '/v1/kv/cli/a?raw');
    });
  });

  test('--help lists every flag with its default, exit 0', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0, r.stderr);
    const help = r.stdout.replace(/\s+/g, ' ');
    const flags: [string, string | null][] = [
      ['--node-id <id>', null],
      ['--gossip-port <port>', '"7946"'],
      ['--raft-addr <host:port>', '":12000"'],
      ['--http-addr <host:port>', '":11000"'],
      ['--bootstrap <n>', '"0"'],
      ['--log-level <level>', '"INFO"'],
      ['--trigger-snapshot', null],
      ['--tick-ms <ms>', '"100"'],
      ['--snapshot-threshold <n>', '"8192"'],
      ['--snapshot-trailing <n>', '"10240"'],
      ['--join <host:port>', '127.0.0.1:7946'],
      ['--bind <ip>', '"0.0.0.0"'],
      ['--advertise <ip>', null],
      ['--encrypt <base64-key>', null],
      ['--gossip-label <label>', null],
      ['--tags <a,b>', '""'],
      ['--voters <n>', '"3"'],
      ['--autopilot-stabilization-ms <ms>', '"10000"'],
      ['--autopilot-failed-grace-ms <ms>', '"5000"'],
      ['--autopilot-reap-ms <ms>', '"60000"'],
      ['--help', null],
    ];
    for (const [flag, dflt] of flags) {
      const at = help.indexOf(flag);
      assert.ok(at >= 0, `--help lists ${flag}:\n${r.stdout}`);
      if (dflt === null) continue;
      // The default is shown in the flag's own entry, before the next flag's.
      const entry = help.slice(at, help.indexOf(' --', at + flag.length));
      assert.ok(entry.includes(`(default: ${dflt})`), `${flag} shows default ${dflt}: ${entry}`);
    }
    assert.match(help, /DATA_DIR/);
  });
});
