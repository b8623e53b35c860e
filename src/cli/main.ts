#!/usr/bin/env node
// The `sappers` command line.
import { Command } from 'commander';
import { pino } from 'pino';
import { runDemo } from './demo.ts';

const program = new Command();
program.name('sappers').description('Self-organizing cluster agent');

program
  .command('demo')
  .description(
    'run a local 3-node Raft cluster in one process, kill its leader, and verify every write',
  )
  .option('--log-level <level>', 'DEBUG, INFO, WARN or ERROR', 'INFO')
  .action(async (opts: { logLevel: string }) => {
    const level = opts.logLevel.toLowerCase();
    if (!['debug', 'info', 'warn', 'error'].includes(level)) {
      console.error(`--log-level: must be DEBUG, INFO, WARN or ERROR, got ${opts.logLevel}`);
      process.exit(2);
    }
    const logger = pino({ level });
    const code = await runDemo(logger).catch((err: unknown) => {
      logger.error({ err }, 'demo failed');
      return 1;
    });
    process.exit(code);
  });

program.exitOverride((err) => {
  process.exit(err.exitCode === 0 ? 0 : 2);
});

await program.parseAsync(process.argv);
