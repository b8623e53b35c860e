// DATA_DIR/agent.json tells one-shot commands (`--trigger-snapshot DATA_DIR`) which running
// agent owns the directory and where its HTTP API listens.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AgentFile {
  readonly nodeId: string;
  readonly pid: number;
  /** host:port the HTTP API is reachable at. */
  readonly httpAddr: string;
  readonly raftAddr: string;
  readonly startedAt: string;
}

export function agentFilePath(dataDir: string): string {
  return join(dataDir, 'agent.json');
}

export function writeAgentFile(dataDir: string, info: AgentFile): void {
  const tmp = `${agentFilePath(dataDir)}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(info, null, 2)}\n`);
  renameSync(tmp, agentFilePath(dataDir));
}

export function removeAgentFile(dataDir: string, pid: number): void {
  const current = readAgentFile(dataDir);
  if (current !== null && current.pid === pid) rmSync(agentFilePath(dataDir), { force: true });
}

/** The agent that owns DATA_DIR, or null when none is recorded or its process is gone. */
export function readAgentFile(dataDir: string): AgentFile | null {
  let text: string;
  try {
    text = readFileSync(agentFilePath(dataDir), 'utf8');
  } catch {
    return null;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const o = parsed as Record<string, unknown>;
  if (
    typeof o['pid'] !== 'number' ||
    typeof o['httpAddr'] !== 'string' ||
    typeof o['nodeId'] !== 'string'
  ) {
    return null;
  }
  if (!processAlive(o['pid'])) return null;
  return {
    nodeId: o['nodeId'],
    pid: o['pid'],
    httpAddr: o['httpAddr'],
    raftAddr: typeof o['raftAddr'] === 'string' ? o['raftAddr'] : '',
    startedAt: typeof o['startedAt'] === 'string' ? o['startedAt'] : '',
  };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
