// Runs an agent in the foreground until SIGTERM/SIGINT, then stops it gracefully (exit 0).
import { startAgent } from '../agent/agent.ts';
import { createAgentLogger } from '../agent/logger.ts';
import type { AgentOptions } from '../agent/options.ts';

/** A stop that hangs (a wedged disk) must not keep the process alive forever. */
const stopDeadlineMs = 15_000;

export async function runAgent(opts: AgentOptions): Promise<number> {
  const log = createAgentLogger(opts.dataDir, opts.nodeId, opts.logLevel);
  const logger = log.logger;
  const flush = (): void => log.flush();
  let agent;
  try {
    agent = await startAgent(opts, logger, { onDataDirOwned: () => log.attachFile() });
  } catch (err) {
    const e = err as Error & { code?: string };
    logger.error({ err }, 'agent failed to start');
    flush();
    console.error(`sappers: ${e.message}`);
    const usage = ['DATA_DIR_NODE_MISMATCH', 'DATA_DIR_IN_USE', 'EADDRINUSE'];
    return e.code !== undefined && usage.includes(e.code) ? 2 : 1;
  }
  const started = agent;
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      const timer = setTimeout(() => {
        logger.error('graceful stop timed out');
        flush();
        resolve(1);
      }, stopDeadlineMs);
      started
        .stop()
        .then(() => {
          clearTimeout(timer);
          flush();
          resolve(0);
        })
        .catch((err: unknown) => {
          logger.error({ err }, 'stop failed');
          flush();
          resolve(1);
        });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
