// `sappers status` formatting: the endpoint's JSON as tables, and the command's exit codes
// against a stand-in HTTP server (formatting only; a real agent is queried in
// test/e2e/recover.test.ts).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { formatBytes, formatStatus, table } from '../../src/cli/status.ts';
import { killAllChildren, runCli } from '../e2e/cluster.ts';

const sample = {
  ClusterId: 'c0ffee',
  Leader: 'node1',
  Term: 7,
  CommitIndex: 1234,
  Servers: [
    {
      ID: 'node1',
      Address: '127.0.0.1:12000',
      Voter: true,
      MatchIndex: 1234,
      LastContactMs: 0,
      Healthy: true,
    },
    {
      ID: 'node2',
      Address: '127.0.0.1:12001',
      Voter: true,
      MatchIndex: 1230,
      LastContactMs: 40,
      Healthy: true,
    },
    {
      ID: 'node4',
      Address: '127.0.0.1:12003',
      Voter: false,
      MatchIndex: null,
      LastContactMs: null,
      Healthy: false,
    },
  ],
  Members: [
    {
      Name: 'node1',
      Addr: '127.0.0.1:7946',
      Status: 'alive',
      Tags: { role: 'sappers', tags: 'consensus,ssd' },
      CpuFreeMilli: 1500,
      MemFreeBytes: 3 * 1024 ** 3,
    },
    {
      Name: 'node4',
      Addr: '127.0.0.1:7949',
      Status: 'failed',
      Tags: {},
      CpuFreeMilli: null,
      MemFreeBytes: null,
    },
  ],
};

test('formatStatus prints the header, one row per server and per member', () => {
  // Roles come from Leader and Voter; missing numbers print as "-"; user tags come from Tags.tags.
  const lines = formatStatus(sample).split('\n');
  assert.equal(lines[0], 'Cluster: c0ffee');
  assert.equal(lines[1], 'Leader: node1   Term: 7   Commit index: 1234');
  const row = (name: string): string[] =>
    (lines.find((l) => l.startsWith(`${name} `) && l.includes('12')) ?? '').split(/\s{2,}/);
  assert.deepEqual(row('node1'), ['node1', '127.0.0.1:12000', 'leader', '1234', '0 ms', 'yes']);
  assert.deepEqual(row('node2'), ['node2', '127.0.0.1:12001', 'voter', '1230', '40 ms', 'yes']);
  assert.deepEqual(row('node4'), ['node4', '127.0.0.1:12003', 'replica', '-', '-', 'NO']);
  const member = (name: string): string[] =>
    (lines.find((l) => l.startsWith(`${name} `) && l.includes(':79')) ?? '').split(/\s{2,}/);
  assert.deepEqual(member('node1'), [
    'node1',
    '127.0.0.1:7946',
    'alive',
    'consensus,ssd',
    '1500m',
    '3.0 GiB',
  ]);
  assert.deepEqual(member('node4'), ['node4', '127.0.0.1:7949', 'failed', '-', '-', '-']);
  assert.ok(lines.includes('Servers (3):'));
  assert.ok(lines.includes('Gossip members (2):'));
});

test('formatStatus survives an empty or partial document', () => {
  // No leader, no servers: still a readable answer, never "undefined".
  const out = formatStatus({});
  assert.match(out, /Leader: \(none\)/);
  assert.doesNotMatch(out, /undefined|null/);
});

test('table pads columns to the widest cell; formatBytes picks binary units', () => {
  // Alignment is what makes the output readable.
  assert.equal(table(['A', 'BB'], [['xxx', 'y']]), 'A    BB\nxxx  y');
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(null), '-');
});

describe('sappers status against a stand-in endpoint', { timeout: 60_000 }, () => {
  let server: Server;
  let addr = '';
  let reply: { status: number; body: string } = { status: 200, body: JSON.stringify(sample) };

  before(async () => {
    server = createServer((req, res) => {
      res.statusCode = req.url === '/v1/sappers/cluster' ? reply.status : 404;
      res.setHeader('content-type', 'application/json');
      res.end(reply.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    addr = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await killAllChildren();
  });

  test('--http-addr prints the table and exits 0; errors exit 1; bad arguments exit 2', async () => {
    // The whole command path: argument parsing, the request, the output and exit codes.
    reply = { status: 200, body: JSON.stringify(sample) };
    const ok = await runCli(['status', '--http-addr', addr]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout.trimEnd(), formatStatus(sample));

    reply = { status: 500, body: '{"error":"boom"}' };
    const failed = await runCli(['status', '--http-addr', addr]);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /500/);

    reply = { status: 200, body: 'not json' };
    const garbage = await runCli(['status', '--http-addr', addr]);
    assert.equal(garbage.code, 1);
    assert.match(garbage.stderr, /not JSON/);

    const neither = await runCli(['status']);
    assert.equal(neither.code, 2);
    const badAddr = await runCli(['status', '--http-addr', 'nonsense']);
    assert.equal(badAddr.code, 2);
    assert.match(badAddr.stderr, /--http-addr/);
  });
});
