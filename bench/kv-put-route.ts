// Microbenchmark of the HTTP write path, not part of the tests: server CPU per `PUT /v1/kv/<key>`
// with the direct route (src/api/kv-put-fast.ts) against the fastify route it bypasses, rounds
// alternating in one run. The server runs over a one-node in-memory cluster in this process; a
// second process drives it (64 keep-alive writers, the benchmark's node:http client).
//   npx tsx bench/kv-put-route.ts [--rounds N] [--seconds S]
import { fork } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { createApiServer } from '../src/api/index.ts';
import { ApiTestCluster, silentLogger } from '../test/api/backend.ts';
import { keepAliveAgent, send } from './http.ts';

const WRITERS = 64;
const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    client: { type: 'string' },
  },
});
const seconds = Number(args.seconds);

if (args.client !== undefined) {
  // The client process: writes for `seconds`, then reports how many were acknowledged.
  const target = { host: '127.0.0.1', port: Number(args.client) };
  const agent = keepAliveAgent(WRITERS);
  const body = Buffer.alloc(256, 0x41);
  const end = Date.now() + seconds * 1000;
  let acked = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = 0; Date.now() < end; i++) {
        const path = `/v1/kv/bench/${String(w)}/${String(i % 1024)}`;
        const r = await send(agent, target, { method: 'PUT', path, body }, 5000);
        if (r.status !== 200) throw new Error(`PUT answered ${String(r.status)}: ${r.body}`);
        acked++;
      }
    }),
  );
  process.send?.(acked);
  process.exit(0);
}

async function measure(direct: boolean): Promise<{ perSec: number; cpuUs: number }> {
  const cluster = new ApiTestCluster(['n1']);
  const app = createApiServer({
    backend: cluster.backend(await cluster.settled()),
    logger: silentLogger,
    directKvPut: direct,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  const before = process.cpuUsage();
  const acked = await new Promise<number>((resolve, reject) => {
    const child = fork(
      new URL(import.meta.url).pathname,
      ['--client', String(port), '--seconds', String(seconds)],
      { execArgv: process.execArgv },
    );
    child.once('message', (n) => resolve(Number(n)));
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`client exited with ${String(code)}`));
    });
  });
  const used = process.cpuUsage(before);
  await app.close();
  cluster.stopAll();
  return { perSec: acked / seconds, cpuUs: (used.user + used.system) / acked };
}

const rounds = Number(args.rounds);
for (let r = 1; r <= rounds; r++) {
  for (const direct of r % 2 === 1 ? [true, false] : [false, true]) {
    const { perSec, cpuUs } = await measure(direct);
    const label = direct ? 'direct route' : 'fastify route';
    console.log(
      `round ${String(r)} ${label.padEnd(14)} ${perSec.toFixed(0).padStart(6)} writes/s, ` +
        `server CPU ${cpuUs.toFixed(1)} µs per write`,
    );
  }
}
process.exit(0);
