// Microbenchmark of the load client itself, not part of the tests: client CPU per request of
// the lean client (bench/raw-http.ts) against node:http with a keep-alive agent, the two
// alternating in one run against the same trivial server (a node:http server in a child
// process that answers `true`, so only the client's CPU is measured here).
//   npx tsx bench/client-cost.ts [--rounds N] [--seconds N] [--writers N] [--value-bytes N]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { keepAliveAgent, send, type HttpRequest, type HttpTarget } from './http.ts';
import { makeValue } from './load.ts';
import { RawHttpConnection } from './raw-http.ts';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '6' },
    seconds: { type: 'string', default: '3' },
    writers: { type: 'string', default: '64' },
    'value-bytes': { type: 'string', default: '256' },
  },
});
const rounds = Number(args.rounds);
const seconds = Number(args.seconds);
const writers = Number(args.writers);
const value = makeValue(Number(args['value-bytes']));

const serverScript = `
const http = require('node:http');
const s = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': 4 });
    res.end('true');
  });
});
s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'));
`;

type Kind = 'lean' | 'node:http';

/** Client CPU µs per request and requests/s for one client over `seconds`. */
async function measure(kind: Kind, target: HttpTarget): Promise<{ us: number; rps: number }> {
  const agent = keepAliveAgent(writers);
  const conns: RawHttpConnection[] = [];
  const req = (w: number, n: number): HttpRequest => ({
    method: 'PUT',
    path: `/v1/kv/bench/${w}/${n % 1024}`,
    contentType: 'application/octet-stream',
    body: value,
  });
  const endAt = performance.now() + seconds * 1000;
  const cpu0 = process.cpuUsage();
  let done = 0;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      const conn = new RawHttpConnection(target);
      conns.push(conn);
      for (let n = 0; performance.now() < endAt; n++) {
        const r =
          kind === 'lean'
            ? await conn.send(req(w, n), 10_000)
            : await send(agent, target, req(w, n), 10_000);
        if (r.status !== 200 || r.body !== 'true')
          throw new Error(`bad answer ${r.status} ${r.body}`);
        done++;
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  for (const c of conns) c.close();
  agent.destroy();
  return { us: (cpu.user + cpu.system) / done, rps: done / seconds };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

async function main(): Promise<void> {
  const server = spawn(process.execPath, ['-e', serverScript], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const [line] = (await once(server.stdout, 'data')) as [Buffer];
    const target: HttpTarget = { host: '127.0.0.1', port: Number(line.toString().trim()) };
    await measure('lean', target); // warm-up, both paths
    await measure('node:http', target);
    const us: Record<Kind, number[]> = { lean: [], 'node:http': [] };
    for (let round = 0; round < rounds; round++) {
      const order: Kind[] = round % 2 === 0 ? ['lean', 'node:http'] : ['node:http', 'lean'];
      const line: string[] = [];
      for (const kind of order) {
        const m = await measure(kind, target);
        us[kind].push(m.us);
        line.push(`${kind} ${m.us.toFixed(1)} µs/request (${Math.round(m.rps)} req/s)`);
      }
      console.log(`round ${round}: ${line.join(', ')}`);
    }
    console.log(
      `median client CPU per request: lean ${median(us.lean).toFixed(1)} µs, node:http ${median(us['node:http']).toFixed(1)} µs`,
    );
  } finally {
    server.kill('SIGKILL');
  }
}

await main();
