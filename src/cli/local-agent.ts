// One agent child process of `sappers local`: spawned as the same `sappers` program with the
// planned flags, its output appended to a file, stopped with SIGTERM then (bounded) SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NodePlan } from './local-plan.ts';

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Bytes of an agent's output file read to explain a failure. */
const tailBytesMax = 4096;
/** After SIGKILL the kernel reaps at once; this bound only guards against a lost 'exit'. */
const killWaitMs = 5_000;

/** node + loader + main script: how this very program is run, so the agents run the same code. */
function agentCommand(): { file: string; args: string[] } {
  const ext = extname(fileURLToPath(import.meta.url));
  const main = fileURLToPath(new URL(`./main${ext}`, import.meta.url));
  // From sources (tsx), the children need the TypeScript loader too, resolved from this package
  // so that any working directory works.
  const loader = ext === '.ts' ? ['--import', import.meta.resolve('tsx')] : [];
  return { file: process.execPath, args: [...loader, main] };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class LocalAgent {
  readonly plan: NodePlan;
  readonly pid: number;
  readonly exited: Promise<ExitInfo>;
  private child: ChildProcess;
  private exit: ExitInfo | null = null;
  private stopping = false;

  private constructor(plan: NodePlan, child: ChildProcess) {
    this.plan = plan;
    this.child = child;
    this.pid = child.pid ?? -1;
    this.exited = new Promise<ExitInfo>((r) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        r(this.exit);
      });
      child.once('error', (err: NodeJS.ErrnoException) => {
        // Spawn failed: no process, and 'exit' may never come.
        this.exit ??= { code: err.errno ?? -1, signal: null };
        r(this.exit);
      });
    });
  }

  /**
   * Starts the agent in its own process group: a Ctrl-C in the terminal reaches only
   * `sappers local`, which then stops the agents in a safe order.
   */
  static start(plan: NodePlan, cwd: string): LocalAgent {
    mkdirSync(plan.dataDir, { recursive: true });
    const out = openSync(plan.outFile, 'a');
    const cmd = agentCommand();
    try {
      const child = spawn(cmd.file, [...cmd.args, ...plan.args], {
        cwd,
        detached: true,
        stdio: ['ignore', out, out],
      });
      return new LocalAgent(plan, child);
    } finally {
      closeSync(out);
    }
  }

  get running(): boolean {
    return this.exit === null;
  }

  get exitInfo(): ExitInfo | null {
    return this.exit;
  }

  /** True once stop() was called: an exit after that is expected. */
  get stopRequested(): boolean {
    return this.stopping;
  }

  /** SIGTERM (the agent stops gracefully), SIGKILL after `termWaitMs`. True if it needed the kill. */
  async stop(termWaitMs: number): Promise<boolean> {
    this.stopping = true;
    if (!this.running) return false;
    this.child.kill('SIGTERM');
    const gone = await Promise.race([
      this.exited.then(() => true),
      sleep(termWaitMs).then(() => false),
    ]);
    if (gone) return false;
    this.child.kill('SIGKILL');
    await Promise.race([this.exited, sleep(killWaitMs)]);
    return true;
  }

  /** Last resort (this process is exiting): no waiting possible. */
  killNow(): void {
    if (this.running) this.child.kill('SIGKILL');
  }

  /** The end of the agent's output file, for error messages. */
  outputTail(lines = 8): string {
    let text: string;
    try {
      const buf = readFileSync(this.plan.outFile);
      text = buf.subarray(Math.max(0, buf.length - tailBytesMax)).toString('utf8');
    } catch {
      return '';
    }
    const all = text.trimEnd().split('\n');
    // The agent's JSON log lines repeat what its plain stderr message says more readably.
    const plain = all.filter((l) => !l.startsWith('{'));
    return (plain.length > 0 ? plain : all).slice(-lines).join('\n');
  }
}

export function describeExit(e: ExitInfo | null): string {
  if (e === null) return 'still running';
  return e.signal !== null ? `killed by ${e.signal}` : `exit code ${e.code}`;
}
