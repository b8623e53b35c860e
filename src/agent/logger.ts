// JSON logs (pino) on stdout and appended to DATA_DIR/raft.log, so `tail -f` shows elections.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import type { LogLevel } from './options.ts';

export interface AgentLogger {
  readonly logger: Logger;
  /** Flush the file stream (on shutdown). */
  flush(): void;
}

export function createAgentLogger(dataDir: string, nodeId: string, level: LogLevel): AgentLogger {
  mkdirSync(dataDir, { recursive: true });
  const file = pino.destination({
    dest: join(dataDir, 'raft.log'),
    append: true,
    mkdir: true,
    sync: false,
  });
  const streams = pino.multistream([
    { level, stream: process.stdout },
    { level, stream: file },
  ]);
  const logger = pino({ level, base: { node: nodeId } }, streams);
  return {
    logger,
    flush: (): void => {
      file.flushSync();
    },
  };
}
