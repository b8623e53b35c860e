// Real-process test harness: free loopback ports, a registry of every child process (SIGKILLed
// when a test file ends, whatever happened), agents started / SIGKILLed / SIGTERMed / restarted
// from their DATA_DIR, and an HTTP client whose failures say whether the request ever left.
//
// Agents run as real `sappers` processes: `node --import tsx src/cli/main.ts ...` (or the
// `./sappers` launcher for the seed's exact commands). Their stdout and stderr go to files next
// to their DATA_DIR, so a failing test can show what each node said without the test process
// having to drain pipes.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));
/** The seed's launcher: `./sappers ...` typed from the repository root. */
export const SAPPERS_LAUNCHER = join(REPO_ROOT, 'sappers');
export const MAIN_TS = join(REPO_ROOT, 'src', 'cli', 'main.ts');

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a value other than undefined, or throws naming `what`. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  fn: () => Promise<T | undefined> | T | undefined,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = undefined;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const why =
        last === undefined
          ? ''
          : ` (last error: ${last instanceof Error ? last.message : JSON.stringify(last)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------------------------
// Child processes

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const live = new Set<ChildProcess>();

// The last line of defence: a test file's process never leaves an agent behind, even when it
// dies on an uncaught error before its after() hooks run.
process.on('exit', () => {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

function track(child: ChildProcess): Promise<ExitInfo> {
  live.add(child);
  return new Promise<ExitInfo>((resolveExit) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolveExit({ code, signal });
    });
    child.once('error', () => {
      // spawn failure: 'exit' may never come
      live.delete(child);
      resolveExit({ code: null, signal: null });
    });
  });
}

/** SIGKILLs every child process still running and waits for them to be gone. */
export async function killAllChildren(): Promise<void> {
  const waits: Promise<unknown>[] = [];
  for (const child of [...live]) {
    waits.push(new Promise((r) => child.once('exit', r)));
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(waits),
    new Promise((r) => {
      timer = setTimeout(r, 5_000);
    }),
  ]);
  clearTimeout(timer);
}

export interface CliResult extends ExitInfo {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `./sappers args...` to completion (bounded), capturing its output. */
export async function runCli(
  args: readonly string[],
  opts: { cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const child = spawn(SAPPERS_LAUNCHER, args, {
    cwd: opts.cwd ?? REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  void track(child);
  // 'close' comes after the exit and after both pipes have delivered everything.
  const closed = new Promise<ExitInfo>((r) => {
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) =>
      r({ code, signal }),
    );
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exit = await closed;
  clearTimeout(timer);
  if (exit.signal === 'SIGKILL') {
    throw new Error(`sappers ${args.join(' ')} did not exit within ${timeoutMs} ms`);
  }
  return { ...exit, stdout, stderr };
}

// ---------------------------------------------------------------------------------------------
// Ports

const handedOut = new Set<number>();

/**
 * Ports handed out are also reserved across processes (the test files run in parallel) with
 * one lock file per port holding the owner's pid: a port stays reserved while its test file
 * lives, even while its agent is down between a kill and a restart. Locks of dead processes
 * are taken over.
 */
const lockDir = join(tmpdir(), 'sappers-e2e-ports');
const reserved = new Set<number>();

/** Takes the cross-process lock on `port` for this process; false if another live one holds it. */
export function reserve(port: number): boolean {
  mkdirSync(lockDir, { recursive: true });
  const file = join(lockDir, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      reserved.add(port);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return false;
      const owner = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && alive(owner)) return false;
      rmSync(file, { force: true });
    }
  }
  return false;
}

/** Gives back a port taken with reserve() (a no-op for any other port). */
export function release(port: number): void {
  if (reserved.delete(port)) rmSync(join(lockDir, String(port)), { force: true });
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

process.on('exit', () => [...reserved].forEach(release));

/**
 * Ports are picked below the kernel's ephemeral range, so the agents' own outgoing connections
 * (which take ephemeral local ports) can never grab a port chosen here between our bind check
 * and the agent's listen; random picks keep parallel test files and a user's cluster (11000,
 * 12000, 7946) apart.
 */
function portRange(): [number, number] {
  let low = 32768;
  try {
    const text = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8');
    const first = Number(text.trim().split(/\s+/)[0]);
    if (Number.isInteger(first) && first > 2048) low = first;
  } catch {
    // not Linux: keep the IANA default
  }
  const hi = Math.max(2048, low - 1);
  const lo = Math.max(1025, hi - 12_000);
  return [lo, hi];
}

/** False when something listens on host:port; true when free (or the family is unsupported). */
export function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((r) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) =>
      r(err.code !== 'EADDRINUSE' && err.code !== 'EACCES'),
    );
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => r(true)));
  });
}

/** A port nothing listens on, on loopback and (for ":port" agents) on every interface. */
export async function freePort(): Promise<number> {
  const [lo, hi] = portRange();
  for (let i = 0; i < 500; i++) {
    const port = lo + randomInt(hi - lo);
    if (handedOut.has(port) || port === 11000 || port === 12000 || port === 7946) continue;
    if (!reserve(port)) continue;
    const free =
      (await canBind(port, '127.0.0.1')) &&
      (await canBind(port, '0.0.0.0')) &&
      (await canBind(port, '::'));
    if (!free) {
      release(port);
      continue;
    }
    handedOut.add(port);
    return port;
  }
  throw new Error('no free port found');
}

// ---------------------------------------------------------------------------------------------
// HTTP

export type HttpOutcome =
  | {
      readonly kind: 'response';
      readonly status: number;
      readonly body: string;
      readonly headers: IncomingHttpHeaders;
    }
  | {
      readonly kind: 'error';
      readonly code: string;
      readonly message: string;
      /**
       * False when the TCP connection was never established (refused, unreachable): the agent
       * never saw the request, so it definitely had no effect.
       */
      readonly connected: boolean;
      readonly timedOut: boolean;
    };

export interface HttpOptions {
  readonly body?: string;
  readonly contentType?: string;
  readonly timeoutMs?: number;
}

/**
 * One HTTP request on a fresh connection (no keep-alive pool: a pooled socket to a killed agent
 * would blur "never sent" into "sent, no answer").
 */
export function http(
  addr: string,
  method: string,
  path: string,
  opts: HttpOptions = {},
): Promise<HttpOutcome> {
  const { host, port } = splitAddr(addr);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return new Promise<HttpOutcome>((resolveOutcome) => {
    let connected = false;
    let timedOut = false;
    let done = false;
    const finish = (o: HttpOutcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolveOutcome(o);
    };
    const headers: Record<string, string> = { connection: 'close' };
    if (opts.body !== undefined) {
      headers['content-type'] = opts.contentType ?? 'text/plain';
      headers['content-length'] = String(Buffer.byteLength(opts.body));
    }
    const req = httpRequest({ host, port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        finish({
          kind: 'response',
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          headers: res.headers,
        }),
      );
      res.on('error', (err: NodeJS.ErrnoException) =>
        finish({
          kind: 'error',
          code: err.code ?? 'ERESPONSE',
          message: err.message,
          connected: true,
          timedOut,
        }),
      );
    });
    req.on('socket', (s) => {
      s.once('connect', () => {
        connected = true;
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) =>
      finish({
        kind: 'error',
        code: timedOut ? 'ETIMEDOUT' : (err.code ?? 'EREQUEST'),
        message: err.message,
        connected,
        timedOut,
      }),
    );
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** "host:port" / "[v6]:port" / ":port" (loopback) → host and port. */
export function splitAddr(addr: string): { host: string; port: number } {
  const at = addr.lastIndexOf(':');
  let host = addr.slice(0, at);
  if (host.startsWith('[')) host = host.slice(1, -1);
  return { host: host === '' ? '127.0.0.1' : host, port: Number(addr.slice(at + 1)) };
}

/** For setup steps that must work: a response with the expected status, or a thrown error. */
export async function mustHttp(
  addr: string,
  method: string,
  path: string,
  opts: HttpOptions & { expect?: number } = {},
): Promise<{ status: number; body: string; headers: IncomingHttpHeaders }> {
  const o = await http(addr, method, path, opts);
  if (o.kind !== 'response') throw new Error(`${method} ${addr}${path}: ${o.code} ${o.message}`);
  if (o.status !== (opts.expect ?? 200)) {
    throw new Error(`${method} ${addr}${path}: HTTP ${o.status} ${o.body}`);
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// Agents

export interface AgentSpec {
  readonly id: string;
  /** Absolute DATA_DIR. */
  readonly dataDir: string;
  readonly raftPort: number;
  readonly httpPort: number;
  readonly gossipPort: number;
  /**
   * "127.0.0.1" (the default: loopback only) or "" for the seed's `--raft-addr ":PORT"` form,
   * which listens on every interface.
   */
  readonly bindHost: string;
  /** Flags added to every start (e.g. --tick-ms, --snapshot-threshold). */
  readonly extraArgs: readonly string[];
  /** Start through `./sappers` with this cwd and DATA_DIR argument (the seed's commands). */
  readonly launcher?: { readonly cwd: string; readonly dataDirArg: string };
  /**
   * Gossip addresses passed as `--join` at each start (never the default 127.0.0.1:7946, which
   * a user's cluster may own): the test's first agent, and for that one the others.
   */
  readonly gossipJoin?: () => readonly string[];
}

export class Agent {
  readonly spec: AgentSpec;
  readonly id: string;
  /** What peers dial and /v1/status/leader reports. */
  readonly raftAddr: string;
  /** Where the test talks to the HTTP API. */
  readonly httpAddr: string;
  private child: ChildProcess | null = null;
  private exitedP: Promise<ExitInfo> | null = null;
  private lastExit: ExitInfo | null = null;
  private starts = 0;

  constructor(spec: AgentSpec) {
    this.spec = spec;
    this.id = spec.id;
    this.raftAddr = `127.0.0.1:${spec.raftPort}`;
    this.httpAddr = `127.0.0.1:${spec.httpPort}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get exitInfo(): ExitInfo | null {
    return this.lastExit;
  }

  get logFile(): string {
    return join(this.spec.dataDir, 'raft.log');
  }

  /** The command-line arguments of a start (without the program). */
  args(extra: readonly string[] = []): string[] {
    const s = this.spec;
    const addr = (port: number): string => `${s.bindHost}:${port}`;
    return [
      '--node-id',
      s.id,
      '--gossip-port',
      String(s.gossipPort),
      '--raft-addr',
      addr(s.raftPort),
      '--http-addr',
      addr(s.httpPort),
      ...(s.gossipJoin?.() ?? []).flatMap((j) => ['--join', j]),
      ...s.extraArgs,
      ...extra,
      s.launcher?.dataDirArg ?? s.dataDir,
    ];
  }

  /** Spawns the agent (on its DATA_DIR as it is: empty, or with the state a kill left). */
  start(extra: readonly string[] = []): void {
    if (this.child !== null) throw new Error(`${this.id} is already running`);
    this.starts++;
    const outDir = join(this.spec.dataDir, '..', 'out');
    mkdirSync(outDir, { recursive: true });
    const out = openSync(join(outDir, `${this.id}.${this.starts}.stdout`), 'a');
    const err = openSync(join(outDir, `${this.id}.${this.starts}.stderr`), 'a');
    const launcher = this.spec.launcher;
    const child =
      launcher === undefined
        ? spawn(process.execPath, ['--import', 'tsx', MAIN_TS, ...this.args(extra)], {
            cwd: REPO_ROOT,
            stdio: ['ignore', out, err],
          })
        : spawn(SAPPERS_LAUNCHER, this.args(extra), {
            cwd: launcher.cwd,
            stdio: ['ignore', out, err],
          });
    closeSync(out);
    closeSync(err);
    this.child = child;
    this.exitedP = track(child).then((e) => {
      if (this.child === child) {
        this.child = null;
        this.lastExit = e;
      }
      return e;
    });
  }

  /** Resolves when this start's process has exited. */
  async exited(): Promise<ExitInfo> {
    if (this.exitedP === null) throw new Error(`${this.id} was never started`);
    return this.exitedP;
  }

  /** Waits until the HTTP API answers; fails at once if the process exits first. */
  async waitReady(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const exited = this.exitedP;
    for (;;) {
      if (this.child === null) {
        const e = exited === null ? null : await exited;
        throw new Error(
          `${this.id} exited during start-up (code ${e?.code}, signal ${e?.signal}): ${this.stderrTail()}`,
        );
      }
      const o = await http(this.httpAddr, 'GET', '/v1/status/leader', { timeoutMs: 2_000 });
      if (o.kind === 'response' && o.status === 200) return;
      if (Date.now() > deadline) {
        throw new Error(`${this.id}'s HTTP API did not answer within ${timeoutMs} ms`);
      }
      await sleep(50);
    }
  }

  /** SIGKILL: no shutdown code runs, as in a power cut of this process. */
  async kill9(): Promise<ExitInfo> {
    const child = this.child;
    if (child === null) throw new Error(`${this.id} is not running`);
    child.kill('SIGKILL');
    return this.exited();
  }

  /** SIGTERM and wait (bounded) for the exit. */
  async terminate(timeoutMs = 20_000): Promise<ExitInfo> {
    const child = this.child;
    if (child === null) throw new Error(`${this.id} is not running`);
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const e = await Promise.race([
      this.exited(),
      new Promise<null>((r) => {
        timer = setTimeout(() => r(null), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (e === null) {
      await this.kill9();
      throw new Error(`${this.id} did not exit within ${timeoutMs} ms of SIGTERM`);
    }
    return e;
  }

  /** The raft address this agent reports as leader ("" = none known), or null if unreachable. */
  async leaderAddr(timeoutMs = 2_000): Promise<string | null> {
    const o = await http(this.httpAddr, 'GET', '/v1/status/leader', { timeoutMs });
    if (o.kind !== 'response' || o.status !== 200) return null;
    const v = JSON.parse(o.body) as unknown;
    return typeof v === 'string' ? v : null;
  }

  /** Parsed JSON lines of DATA_DIR/raft.log (lines that do not parse are skipped). */
  logLines(): Record<string, unknown>[] {
    if (!existsSync(this.logFile)) return [];
    const out: Record<string, unknown>[] = [];
    for (const line of readFileSync(this.logFile, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        const v = JSON.parse(line) as unknown;
        if (typeof v === 'object' && v !== null) out.push(v as Record<string, unknown>);
      } catch {
        // a torn last line after SIGKILL
      }
    }
    return out;
  }

  /**
   * raft.log's role-change lines (the driver logs one per soft-state change, with the fields
   * term, role and leader), matched by fields, not wording.
   */
  roleLines(): { term: number; role: string; leader: string | null; msg: string }[] {
    return this.logLines()
      .filter((l) => typeof l['role'] === 'string' && typeof l['term'] === 'number')
      .map((l) => ({
        term: Number(l['term']),
        role: String(l['role']),
        leader: typeof l['leader'] === 'string' ? l['leader'] : null,
        msg: String(l['msg']),
      }));
  }

  /** The terms this agent's raft.log says it won an election in. */
  termsLed(): number[] {
    return this.roleLines()
      .filter((l) => l.role === 'leader')
      .map((l) => l.term);
  }

  stderrTail(max = 2_000): string {
    const file = join(this.spec.dataDir, '..', 'out', `${this.id}.${this.starts}.stderr`);
    if (!existsSync(file)) return '';
    const text = readFileSync(file, 'utf8');
    return text.slice(-max);
  }

  /** The last lines of raft.log, for failure reports. */
  logTail(lines = 30): string {
    if (!existsSync(this.logFile)) return '(no raft.log)';
    return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  }
}

export interface ClusterOptions {
  /** Names the temp directory (sappers-e2e-<name>-XXXX). */
  readonly name: string;
  readonly tickMs?: number;
  readonly extraArgs?: readonly string[];
  /** Use the seed's exact form: `./sappers ... --raft-addr ":P" ... ./raft/<id>` run in root. */
  readonly seedForm?: boolean;
  /** Start through `./sappers ... ./raft/<id>` run in root, but on loopback addresses. */
  readonly viaLauncher?: boolean;
}

/** A set of agents in one temp directory. Close it in after(); it SIGKILLs what is left. */
export class TestCluster {
  readonly root: string;
  readonly agents = new Map<string, Agent>();
  private readonly opts: ClusterOptions;
  /** Set by `diagnose` so close() keeps the directory for a post-mortem. */
  private failed = false;

  constructor(opts: ClusterOptions) {
    this.opts = opts;
    this.root = mkdtempSync(join(tmpdir(), `sappers-e2e-${opts.name}-`));
  }

  get(id: string): Agent {
    const a = this.agents.get(id);
    if (a === undefined) throw new Error(`no agent ${id}`);
    return a;
  }

  list(): Agent[] {
    return [...this.agents.values()];
  }

  running(): Agent[] {
    return this.list().filter((a) => a.running);
  }

  /** Creates (does not start) an agent with fresh ports and DATA_DIR root/raft/<id>. */
  async define(id: string): Promise<Agent> {
    const seed = this.opts.seedForm === true;
    const launcher = seed || this.opts.viaLauncher === true;
    const extra = [...(this.opts.extraArgs ?? [])];
    if (this.opts.tickMs !== undefined) extra.push('--tick-ms', String(this.opts.tickMs));
    const agent = new Agent({
      id,
      dataDir: join(this.root, 'raft', id),
      raftPort: await freePort(),
      httpPort: await freePort(),
      gossipPort: await freePort(),
      bindHost: seed ? '' : '127.0.0.1',
      extraArgs: extra,
      ...(launcher ? { launcher: { cwd: this.root, dataDirArg: `./raft/${id}` } } : {}),
      gossipJoin: () => this.gossipJoin(id),
    });
    this.agents.set(id, agent);
    return agent;
  }

  /** `--join` targets for `id`: the first agent's gossip port; for the first, the others'. */
  gossipJoin(id: string): string[] {
    const all = this.list();
    const first = all[0];
    if (first === undefined) return [];
    const targets = first.id === id ? all.slice(1) : [first];
    return targets.map((a) => `127.0.0.1:${a.spec.gossipPort}`);
  }

  /**
   * The seed's recipe: the first agent with `--bootstrap <bootstrapArg>`, the others empty.
   * With `--bootstrap 1` the others are joined through POST /join on the first; with N > 1 the
   * cluster forms by gossip alone (no /join). Resolves with the leader once all are voters.
   */
  async form(ids: readonly string[], bootstrapArg = '1'): Promise<Agent> {
    const [first, ...rest] = ids;
    if (first === undefined) throw new Error('no agents');
    const agents = [];
    for (const id of ids) agents.push(await this.define(id));
    const a0 = this.get(first);
    a0.start(['--bootstrap', bootstrapArg]);
    for (const id of rest) this.get(id).start();
    await Promise.all(agents.map((a) => a.waitReady()));
    if (bootstrapArg === '1') {
      await this.leader([a0]);
      for (const id of rest) await this.join(this.get(id), a0);
    } else {
      await this.voters(ids);
    }
    return this.leader();
  }

  /** Waits until the leader's Raft configuration has exactly `ids` as voters. */
  async voters(ids: readonly string[], timeoutMs = 30_000): Promise<void> {
    const want = [...ids].sort().join(',');
    await waitFor(`voters ${want}`, timeoutMs, async () => {
      const leader = await this.leader(
        ids.map((id) => this.get(id)),
        timeoutMs,
      );
      const o = await http(leader.httpAddr, 'GET', '/v1/operator/raft/configuration');
      if (o.kind !== 'response' || o.status !== 200) return undefined;
      const cfg = JSON.parse(o.body) as { Servers: { ID: string; Voter: boolean }[] };
      const got = cfg.Servers.filter((x) => x.Voter)
        .map((x) => x.ID)
        .sort()
        .join(',');
      return got === want ? true : undefined;
    });
  }

  /** POST /join {"id","addr"} on `via` until it answers 200 (the node is then a voter). */
  async join(agent: Agent, via: Agent, timeoutMs = 30_000): Promise<void> {
    const body = JSON.stringify({ id: agent.id, addr: agent.raftAddr });
    // The seed's `curl -X POST -d '{...}'` labels the JSON as a form; the API takes either.
    const contentType =
      this.opts.seedForm === true ? 'application/x-www-form-urlencoded' : 'application/json';
    await waitFor(`${agent.id} to join through ${via.id}`, timeoutMs, async () => {
      const o = await http(via.httpAddr, 'POST', '/join', {
        body,
        contentType,
        timeoutMs: 10_000,
      });
      if (o.kind === 'response' && o.status === 200) return true;
      throw new Error(o.kind === 'response' ? `HTTP ${o.status} ${o.body}` : o.code);
    });
  }

  /**
   * Waits until every agent in `among` (default: all running) reports the same leader and that
   * leader is one of them; returns it.
   */
  async leader(among?: readonly Agent[], timeoutMs = 30_000): Promise<Agent> {
    return waitFor('a leader every running agent agrees on', timeoutMs, async () => {
      const group = among ?? this.running();
      const seen = await Promise.all(group.map((a) => a.leaderAddr()));
      const first = seen[0];
      if (first === undefined || first === null || first === '') return undefined;
      if (!seen.every((s) => s === first)) return undefined;
      return group.find((a) => a.raftAddr === first);
    });
  }

  /** Runs `fn`; on failure prints every agent's log tail and keeps the directory. */
  async diagnose<T>(fn: () => Promise<T> | T): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      this.failed = true;
      for (const a of this.list()) {
        console.error(
          `--- ${a.id} (running: ${a.running}, last exit: ${JSON.stringify(a.exitInfo)}) ---\n` +
            `${a.logTail()}\n--- ${a.id} stderr ---\n${a.stderrTail()}`,
        );
      }
      console.error(`kept ${this.root} for inspection`);
      throw err;
    }
  }

  markFailed(): void {
    this.failed = true;
  }

  /** SIGKILLs every agent still running; removes the directory unless something failed. */
  async close(): Promise<void> {
    await Promise.all(this.running().map((a) => a.kill9().catch(() => undefined)));
    if (!this.failed && process.env['SAPPERS_E2E_KEEP'] === undefined) {
      rmSync(this.root, { recursive: true, force: true });
    }
  }
}
