// Builders for storage tests: entries, snapshots, writes, temp dirs, a capturing logger.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config, Entry, HardState, RaftWrite, Snapshot } from '../../src/raft/index.ts';
import type { StorageLogger } from '../../src/storage/index.ts';

export const config3: Config = { voters: ['n1', 'n2', 'n3'], learners: [] };

const enc = new TextEncoder();

/** A normal entry whose data names it, so a copy is recognisable (also on disk). */
export function normal(index: number, term: number, tag = ''): Entry {
  return { type: 'normal', term, index, data: enc.encode(`entry-${index}-${term}${tag}`) };
}

export function entries(from: number, to: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(normal(i, term));
  return out;
}

export function confEntry(index: number, term: number): Entry {
  const config = { voters: ['n1', 'n2', 'n3', 'n4'], learners: [] };
  return { type: 'conf', term, index, change: { type: 'addVoter', node: 'n4' }, config };
}

export function snapshot(index: number, term: number, cfg: Config = config3): Snapshot {
  return { meta: { index, term, config: cfg }, data: enc.encode(`state-at-${index}`) };
}

export function hard(term: number, vote: string | null, commit: number): HardState {
  return { term, vote, commit };
}

export interface ReadyParts {
  readonly entries?: readonly Entry[];
  readonly hardState?: HardState;
  readonly snapshot?: Snapshot;
}

export function ready(parts: ReadyParts): RaftWrite {
  return {
    hardState: parts.hardState ?? null,
    entries: parts.entries ?? [],
    snapshot: parts.snapshot ?? null,
  };
}

export async function tempDir(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'sappers-storage-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export interface LogLine {
  readonly level: 'info' | 'warn';
  readonly obj: object;
  readonly msg: string;
}

export class CaptureLogger implements StorageLogger {
  readonly lines: LogLine[] = [];

  info(obj: object, msg: string): void {
    this.lines.push({ level: 'info', obj, msg });
  }

  warn(obj: object, msg: string): void {
    this.lines.push({ level: 'warn', obj, msg });
  }

  warnings(): LogLine[] {
    return this.lines.filter((l) => l.level === 'warn');
  }
}

/** Runs `body` with a fresh temporary directory, removed afterwards. */
export async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await tempDir();
  try {
    await body(dir.path);
  } finally {
    await dir.remove();
  }
}
