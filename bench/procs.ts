// Every process the benchmark starts is registered here, so that a normal end, an error, a
// signal (SIGINT/SIGTERM) or the overall deadline stops all of them, each by its own pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logPath: string;
  /** Settles when the process has exited (any way). */
  readonly exited: Promise<void>;
  alive(): boolean;
}

const live = new Set<Proc>();

/** Starts `cmd` with stdout and stderr appended to `logPath`; stdin is closed. */
export function startProc(
  name: string,
  cmd: string,
  args: readonly string[],
  logPath: string,
  env: NodeJS.ProcessEnv = process.env,
): Proc {
  const fd = openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(cmd, args, { stdio: ['ignore', fd, fd], env });
  } finally {
    closeSync(fd);
  }
  let done = false;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      done = true;
      resolve();
    });
    child.once('error', () => {
      done = true;
      resolve();
    });
  });
  const proc: Proc = { name, child, logPath, exited, alive: () => !done };
  live.add(proc);
  void exited.then(() => live.delete(proc));
  return proc;
}

/** SIGKILL now; resolves once the process is gone. */
export async function killProc(p: Proc): Promise<void> {
  if (p.alive()) p.child.kill('SIGKILL');
  await p.exited;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopProc(p: Proc, graceMs: number): Promise<void> {
  if (!p.alive()) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => {
    if (p.alive()) p.child.kill('SIGKILL');
  }, graceMs);
  await p.exited;
  clearTimeout(timer);
}

/** Synchronous last resort (process 'exit' handler): SIGKILL whatever is still running. */
export function killAllSync(): void {
  for (const p of live) {
    if (p.alive()) {
      try {
        p.child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

export async function killAll(): Promise<void> {
  await Promise.all([...live].map((p) => killProc(p)));
}

export function liveCount(): number {
  return live.size;
}

/** The last `lines` lines of a process log, for error messages. */
export function tailLog(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** A cluster member the bench runs as a process of its own. */
export interface ProcNode {
  readonly member: { readonly id: string };
  proc: Proc | null;
}

/** The process side of a BenchCluster (kill, restart, isRunning, pids, stop), for any system. */
export function procControls<N extends ProcNode>(c: {
  readonly system: string;
  readonly nodes: readonly N[];
  readonly launch: (n: N) => void;
  readonly waitUp: (n: N) => Promise<void>;
  readonly stopGraceMs: number;
  /** Called after every member stopped (e.g. to close the client's sockets). */
  readonly afterStop: () => void;
}): {
  kill(id: string): Promise<void>;
  restart(id: string): Promise<void>;
  isRunning(id: string): boolean;
  pids(): readonly number[];
  stop(): Promise<void>;
} {
  const node = (id: string): N => {
    const n = c.nodes.find((x) => x.member.id === id);
    if (n === undefined) throw new Error(`${c.system}: no member ${id}`);
    return n;
  };
  return {
    kill: async (id) => {
      const p = node(id).proc;
      if (p !== null) await killProc(p);
    },
    restart: async (id) => {
      const n = node(id);
      if (n.proc?.alive() === true) throw new Error(`${c.system}: ${id} is still running`);
      c.launch(n); // on its existing data directory
      await c.waitUp(n);
    },
    isRunning: (id) => node(id).proc?.alive() === true,
    pids: () =>
      c.nodes.flatMap((n) =>
        n.proc?.alive() === true && n.proc.child.pid !== undefined ? [n.proc.child.pid] : [],
      ),
    stop: async () => {
      await Promise.all(
        c.nodes.map((n) => (n.proc === null ? Promise.resolve() : stopProc(n.proc, c.stopGraceMs))),
      );
      c.afterStop();
    },
  };
}
