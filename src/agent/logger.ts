// JSON logs (pino) on stdout and appended to DATA_DIR/raft.log, so `tail -f` shows elections.
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import type { LogLevel } from './options.ts';

export interface AgentLogger {
  readonly logger: Logger;
  /**
   * Start appending to DATA_DIR/raft.log: called once the agent owns DATA_DIR, so a refused
   * start (another node's directory) writes nothing into the owner's log.
   */
  attachFile(): void;
  /** Flush the file stream (on shutdown); never throws. */
  flush(): void;
}

export function createAgentLogger(dataDir: string, nodeId: string, level: LogLevel): AgentLogger {
  const streams = pino.multistream([{ level, stream: process.stdout }]);
  const logger = pino({ level, base: { node: nodeId } }, streams);
  let file: ReturnType<typeof pino.destination> | null = null;
  return {
    logger,
    attachFile: (): void => {
      if (file !== null) return;
      mkdirSync(dataDir, { recursive: true });
      // Opened synchronously so an early flush (a failed start) finds the stream ready.
      file = pino.destination({ dest: openSync(join(dataDir, 'raft.log'), 'a'), sync: false });
      streams.add({ level, stream: file });
    },
    flush: (): void => {
      try {
        file?.flushSync();
      } catch {
        // Nothing more can be done for a log that cannot be flushed at exit.
      }
    },
  };
}
