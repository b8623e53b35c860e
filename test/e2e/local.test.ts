// `sappers local` (what `npm start` runs) as a user meets it: it forms a real 3-agent cluster
// with the seed's commands and prints the leader and the voters; a port already taken makes it
// exit 1 naming the port before anything starts; Ctrl-C (SIGINT) stops every agent it started
// and exits 0. Ports: the seed's layout moved by a --port-offset where all nine are free.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  alive,
  canBind,
  killAllChildren,
  MAIN_TS,
  release,
  REPO_ROOT,
  reserve,
  runCli,
  sleep,
  type CliResult,
} from './cluster.ts';

const seedPorts = (k: number): { gossip: number[]; tcp: number[] } => ({
  gossip: [7946, 7947, 7948].map((p) => p + k),
  tcp: [12000, 12001, 12002, 11000, 11001, 11002].map((p) => p + k),
});

const udpFree = (port: number): Promise<boolean> =>
  new Promise((r) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      r(false);
    });
    s.bind({ port, address: '0.0.0.0', exclusive: true }, () => s.close(() => r(true)));
  });

/** An offset whose nine ports are locked for this file and free, below the ephemeral range. */
async function pickOffset(): Promise<number> {
  let ephemeralLow = 32768;
  try {
    const first = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
    );
    if (Number.isInteger(first) && first > 14_000) ephemeralLow = first;
  } catch {
    // not Linux: keep the IANA default
  }
  const lo = Math.max(1000, ephemeralLow - 12_000 - 7946);
  const hi = ephemeralLow - 1 - 12002;
  for (let attempt = 0; attempt < 200; attempt++) {
    const k = lo + randomInt(Math.max(1, hi - lo));
    const { gossip, tcp } = seedPorts(k);
    const all = [...gossip, ...tcp];
    let ok = all.every((p) => reserve(p));
    for (const p of all) {
      if (!ok) break;
      for (const host of ['0.0.0.0', '::', '127.0.0.1']) ok &&= await canBind(p, host);
      if (gossip.includes(p)) ok &&= await udpFree(p);
    }
    if (ok) return k;
    all.forEach(release);
  }
  throw new Error('no port offset with nine free ports found');
}

const pidsIn = (stdout: string): number[] =>
  [...stdout.matchAll(/^Started node\d+ \(pid (\d+)\)/gm)].map((m) => Number(m[1]));

const shown = (r: { code: number | null; stdout: string; stderr: string }): string =>
  `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

function assertReadySummary(stdout: string, detail: string): void {
  const m =
    /^Local cluster ready: 3 agent\(s\), leader (node[123]), 3 voter\(s\) \((.*)\)\.$/m.exec(
      stdout,
    );
  assert.ok(m !== null, `the summary names the leader and the voters\n${detail}`);
  assert.equal(m[2], 'node1, node2, node3', detail);
  // The `sappers status` table: the leader's row, and the two other voters'.
  assert.match(
    stdout,
    new RegExp(`^${m[1] ?? ''}\\s+127\\.0\\.0\\.1:\\d+\\s+leader\\s`, 'm'),
    detail,
  );
  assert.equal([...stdout.matchAll(/^node[123]\s+127\.0\.0\.1:\d+\s+voter\s/gm)].length, 2, detail);
  assert.match(stdout, /^Checked: wrote sappers-local\/check through node2 .* through node3\.$/m);
}

describe('e2e: sappers local (npm start)', { timeout: 150_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'sappers-local-'));
  const pids: number[] = [];
  let offset = 0;

  after(async () => {
    // Agents run in their own process groups: whatever happened, none outlives this file.
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await killAllChildren();
    rmSync(root, { recursive: true, force: true });
  });

  const local = (dataRoot: string, extra: readonly string[] = []): string[] => [
    'local',
    '--port-offset',
    String(offset),
    '--data-root',
    dataRoot,
    ...extra,
  ];

  test('--exit-after-check forms the seed cluster, prints leader and 3 voters, exit 0', async () => {
    offset = await pickOffset();
    const r = await runCli(local(join(root, 'a'), ['--exit-after-check']), { timeoutMs: 90_000 });
    pids.push(...pidsIn(r.stdout));
    assert.equal(pidsIn(r.stdout).length, 3, shown(r));
    assert.equal(r.code, 0, shown(r));
    assertReadySummary(r.stdout, shown(r));
    // node1 was started with the seed's step 2 flags, moved by the offset.
    const k = offset;
    assert.match(
      r.stdout,
      new RegExp(
        `--node-id node1 --gossip-port ${7946 + k} --raft-addr ":${12000 + k}" --http-addr ":${11000 + k}" --join 127\\.0\\.0\\.1:${7946 + k} --bootstrap 3 `,
      ),
      shown(r),
    );
    for (const pid of pidsIn(r.stdout)) assert.equal(alive(pid), false, `agent pid ${pid} is gone`);
  });

  test('a port in use: exit 1 naming the port and its node, nothing started', async () => {
    const port = 11001 + offset;
    const squatter: Server = createServer();
    await new Promise<void>((r) => squatter.listen({ port, host: '127.0.0.1' }, r));
    let r: CliResult;
    try {
      r = await runCli(local(join(root, 'b'), ['--exit-after-check']), { timeoutMs: 30_000 });
    } finally {
      await new Promise((res) => squatter.close(res));
    }
    pids.push(...pidsIn(r.stdout));
    assert.equal(r.code, 1, shown(r));
    assert.match(
      r.stderr,
      new RegExp(`port ${port} \\(http port of node2\\) is already in use`),
      shown(r),
    );
    assert.doesNotMatch(r.stderr, /^\s+at /m, `a message, not a stack trace\n${shown(r)}`);
    assert.equal(pidsIn(r.stdout).length, 0, `no agent was started\n${shown(r)}`);
  });

  test('SIGINT after the summary stops every agent and exits 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN_TS, ...local(join(root, 'c'))], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const closed = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
    const killer = setTimeout(() => child.kill('SIGKILL'), 100_000);
    try {
      const deadline = Date.now() + 75_000;
      while (!stdout.includes('Ctrl-C stops the agents') && child.exitCode === null) {
        assert.ok(Date.now() < deadline, `no summary in time\n${stdout}\n${stderr}`);
        await sleep(100);
      }
      const started = pidsIn(stdout);
      pids.push(...started);
      const detail = (): string => shown({ code: child.exitCode, stdout, stderr });
      assertReadySummary(stdout, detail());
      assert.equal(started.length, 3, detail());
      for (const pid of started) assert.ok(alive(pid), `agent pid ${pid} runs while up`);
      child.kill('SIGINT');
      const code = await closed;
      assert.equal(code, 0, detail());
      assert.match(stdout, /^All agents stopped\.$/m, detail());
      for (const pid of started) assert.equal(alive(pid), false, `agent pid ${pid} is gone`);
    } finally {
      clearTimeout(killer);
      child.kill('SIGKILL');
    }
  });
});
