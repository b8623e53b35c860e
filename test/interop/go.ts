// Test helpers for the Go side of interop: builds interop/bin/* on first use (never skips: a
// machine without Go fails with how to fix it), runs the real memberlist peer and the wire
// oracle, and finds loopback ports free for both UDP and TCP. PeerProcess (the JSON-lines
// reader) also serves the Sappers peer program (ts-peer.ts).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));
export const INTEROP_DIR = join(REPO_ROOT, 'interop');

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const HOW_TO_FIX =
  'Go and the memberlist sources are required for the interop tests: run .ci/run, or ' +
  'apt-get install -y golang-go golang-github-hashicorp-memberlist-dev';

const builds = new Map<string, Promise<string>>();

function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  const times = readdirSync(dir)
    .filter((f) => f.endsWith('.go'))
    .map((f) => statSync(join(dir, f)).mtimeMs);
  return Math.max(0, ...times);
}

/** Path of interop/bin/<prog>, built with interop/build.sh when missing or stale. */
export function goBinary(prog: 'memberlist-peer' | 'wire-fixtures'): Promise<string> {
  let p = builds.get(prog);
  if (p === undefined) {
    p = build(prog);
    builds.set(prog, p);
  }
  return p;
}

async function build(prog: string): Promise<string> {
  const bin = join(INTEROP_DIR, 'bin', prog);
  if (existsSync(bin) && statSync(bin).mtimeMs >= newestMtime(join(INTEROP_DIR, prog))) return bin;
  await new Promise<void>((res, rej) => {
    execFile(
      'bash',
      [join(INTEROP_DIR, 'build.sh'), prog],
      { timeout: 180_000 },
      (err, _stdout, stderr) => {
        if (err === null) res();
        else
          rej(
            new Error(
              `building interop/${prog} failed: ${stderr.trim() || err.message}\n${HOW_TO_FIX}`,
            ),
          );
      },
    );
  });
  if (!existsSync(bin)) throw new Error(`interop/build.sh did not produce ${bin}\n${HOW_TO_FIX}`);
  return bin;
}

/** A loopback port free for both UDP and TCP (memberlist binds both on one port). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((res, rej) => {
      const srv = createServer();
      srv.once('error', rej);
      srv.listen(0, '127.0.0.1', () => {
        const a = srv.address();
        const p = typeof a === 'object' && a !== null ? a.port : 0;
        srv.close(() => {
          res(p);
        });
      });
    });
    const udpFree = await new Promise<boolean>((res) => {
      const s = createSocket('udp4');
      s.once('error', () => {
        s.close();
        res(false);
      });
      s.bind(port, '127.0.0.1', () => {
        s.close(() => {
          res(true);
        });
      });
    });
    if (udpFree && port > 0) return port;
  }
  throw new Error('no free loopback port for UDP and TCP');
}

export interface PeerNode {
  readonly name: string;
  readonly addr: string;
  readonly port: number;
  readonly state: string;
  readonly meta?: string;
}

export interface PeerLine {
  readonly type: string;
  readonly node?: PeerNode;
  readonly members?: PeerNode[];
  readonly data?: string;
  readonly error?: string;
  readonly [k: string]: unknown;
}

export interface PeerOptions {
  readonly name: string;
  readonly port: number;
  readonly join?: readonly string[];
  readonly key?: Uint8Array;
  readonly config?: 'lan' | 'local';
  readonly compression?: boolean;
  readonly protocol?: number;
  readonly intervalMs?: number;
  readonly meta?: string;
  readonly userState?: string;
  readonly log?: boolean;
  /** Probability of dropping each outgoing UDP datagram (simulated loss). */
  readonly drop?: number;
  /** Probability that each outgoing TCP connection attempt fails (simulated loss). */
  readonly dropStreams?: number;
}

const livePeers = new Set<PeerProcess>();

/** One running peer program (Go memberlist or Sappers) and the JSON lines it printed. */
export class PeerProcess {
  readonly name: string;
  readonly lines: PeerLine[] = [];
  /** performance.now() when each line arrived (same index as lines). */
  readonly times: number[] = [];
  readonly stderr: string[] = [];
  /** Which program, for error messages. */
  protected readonly label: string;
  protected portNo: number;
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  private waiters: (() => void)[] = [];

  protected constructor(child: ChildProcess, label: string, name: string, port: number) {
    this.child = child;
    this.label = label;
    this.name = name;
    this.portNo = port;
    livePeers.add(this);
    this.exited = new Promise((res) => {
      child.once('exit', (code) => {
        livePeers.delete(this);
        this.wake();
        res(code);
      });
    });
    if (child.stdout !== null) {
      createInterface({ input: child.stdout }).on('line', (line) => {
        this.times.push(performance.now());
        try {
          this.lines.push(JSON.parse(line) as PeerLine);
        } catch {
          this.lines.push({ type: 'garbage', data: line });
        }
        this.wake();
      });
    }
    child.stderr?.on('data', (d: Buffer) => {
      if (this.stderr.length < 2000) this.stderr.push(d.toString());
    });
  }

  get port(): number {
    return this.portNo;
  }

  /** The OS process id (for /proc readings). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Waits for the ready line (and the joined line when joining); throws on an error line. */
  protected async started(joining: boolean): Promise<void> {
    await this.waitLine('ready', 20_000, (l) => l.type === 'ready' || l.type === 'error');
    const err = this.lines.find((l) => l.type === 'error');
    if (err !== undefined) throw new Error(`${this.label} ${this.name}: ${String(err.error)}`);
    const ready = this.lines.find((l) => l.type === 'ready');
    if (typeof ready?.['port'] === 'number') this.portNo = ready['port'];
    if (joining) await this.waitLine('joined', 15_000, (l) => l.type === 'joined');
  }

  get address(): string {
    return `127.0.0.1:${String(this.port)}`;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Waits for a line (already printed or to come) matching `pred`. */
  async waitLine(
    what: string,
    timeoutMs: number,
    pred: (l: PeerLine) => boolean,
    from = 0,
  ): Promise<PeerLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.slice(from).find(pred);
      if (hit !== undefined) return hit;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(
          `${this.label} ${this.name} exited while waiting for ${what}\n${this.stderr.join('')}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        const tail = this.lines
          .slice(-5)
          .map((l) => JSON.stringify(l))
          .join('\n');
        throw new Error(
          `${this.label} ${this.name}: timed out waiting for ${what}; last lines:\n${tail}`,
        );
      }
      await new Promise<void>((res) => {
        const t = setTimeout(res, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
  }

  /** The latest member list the peer printed after line index `from`. */
  latestMembers(from = 0): PeerNode[] | undefined {
    for (let i = this.lines.length - 1; i >= from; i--) {
      const l = this.lines[i];
      if (l?.type === 'members' && l.members !== undefined) return l.members;
    }
    return undefined;
  }

  /** Waits until a printed member list satisfies `pred`. */
  async waitMembers(
    what: string,
    timeoutMs: number,
    pred: (m: PeerNode[]) => boolean,
  ): Promise<PeerNode[]> {
    const from = this.lines.length;
    const line = await this.waitLine(
      what,
      timeoutMs,
      (l) => l.type === 'members' && l.members !== undefined && pred(l.members),
      from,
    );
    return line.members ?? [];
  }

  command(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  /** SIGTERM (graceful leave) and wait for the exit, SIGKILL after timeoutMs. */
  async stop(timeoutMs = 8000): Promise<number | null> {
    this.kill('SIGTERM');
    const t = setTimeout(() => {
      this.kill('SIGKILL');
    }, timeoutMs);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }

  waitExit(): Promise<number | null> {
    return this.exited;
  }
}

/** The flags both peer programs (Go and Sappers) take, for `o`. */
export function peerFlags(o: PeerOptions): string[] {
  const args = [
    `-name=${o.name}`,
    '-bind=127.0.0.1',
    `-port=${String(o.port)}`,
    `-config=${o.config ?? 'local'}`,
    `-compression=${String(o.compression ?? false)}`,
    `-interval=${String(o.intervalMs ?? 250)}ms`,
  ];
  if (o.join !== undefined && o.join.length > 0) args.push(`-join=${o.join.join(',')}`);
  if (o.key !== undefined) args.push(`-key=${Buffer.from(o.key).toString('base64')}`);
  if (o.protocol !== undefined) args.push(`-protocol=${String(o.protocol)}`);
  if (o.meta !== undefined) args.push(`-meta=${o.meta}`);
  if (o.drop !== undefined) args.push(`-drop=${String(o.drop)}`);
  if (o.dropStreams !== undefined) args.push(`-drop-streams=${String(o.dropStreams)}`);
  if (o.log === true) args.push('-log');
  return args;
}

/** One running interop/bin/memberlist-peer (real HashiCorp memberlist). */
export class GoPeer extends PeerProcess {
  static async start(o: PeerOptions): Promise<GoPeer> {
    const bin = await goBinary('memberlist-peer');
    const args = peerFlags(o);
    if (o.userState !== undefined) args.push(`-user-state=${o.userState}`);
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const peer = new GoPeer(child, 'memberlist-peer', o.name, o.port);
    await peer.started(o.join !== undefined && o.join.length > 0);
    return peer;
  }
}

/** SIGKILLs every peer still running (call from after()). */
export function killAllPeers(): void {
  for (const p of livePeers) p.kill('SIGKILL');
}

/** The wire oracle (`wire-fixtures serve`): Go's encoder/decoder on request. */
export class GoOracle {
  private readonly child: ChildProcess;
  private pending: ((line: string) => void)[] = [];

  private constructor(child: ChildProcess) {
    this.child = child;
    if (child.stdout !== null) {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const next = this.pending.shift();
        if (next !== undefined) next(line);
      });
    }
  }

  static async start(): Promise<GoOracle> {
    const bin = await goBinary('wire-fixtures');
    return new GoOracle(spawn(bin, ['serve'], { stdio: ['pipe', 'pipe', 'inherit'] }));
  }

  request(req: Record<string, unknown>): Promise<Record<string, unknown>> {
    return new Promise((res, rej) => {
      const t = setTimeout(() => {
        rej(new Error(`wire oracle did not answer ${JSON.stringify(req).slice(0, 200)}`));
      }, 20_000);
      this.pending.push((line) => {
        clearTimeout(t);
        res(JSON.parse(line) as Record<string, unknown>);
      });
      this.child.stdin?.write(`${JSON.stringify(req)}\n`);
    });
  }

  close(): void {
    this.child.stdin?.end();
    this.child.kill('SIGKILL');
  }
}
