#!/usr/bin/env node
// The `sappers` command line: the seed's flags start an agent that owns DATA_DIR; one-shot
// flags (--trigger-snapshot) talk to the agent already running there.
import { Command, Option } from 'commander';
import { pino } from 'pino';
import { OptionError } from '../agent/options.ts';
import { buildAgentOptions, type RawFlags } from './flags.ts';
import { runDemo } from './demo.ts';
import { triggerSnapshot } from './one-shot.ts';
import { runAgent } from './run-agent.ts';

const program = new Command();
program
  .name('sappers')
  .description('Self-organizing cluster agent: Raft consensus and a replicated management database')
  .argument('[DATA_DIR]', 'directory where this node keeps its Raft state (e.g. ./raft/node1)')
  .option('--node-id <id>', 'unique id of this node')
  .option('--gossip-port <port>', 'port for gossip (UDP and TCP)', '7946')
  .option(
    '--raft-addr <host:port>',
    'address of the Raft transport (":12000" = all interfaces)',
    ':12000',
  )
  .option('--http-addr <host:port>', 'address of the HTTP API', ':11000')
  .option('--bootstrap <n>', 'create a new cluster on an empty DATA_DIR (replicas expected)', '0')
  .option('--log-level <level>', 'DEBUG, INFO, WARN or ERROR', 'INFO')
  .option('--trigger-snapshot', 'ask the agent running on DATA_DIR to snapshot now, print it, exit')
  .addOption(new Option('--tick-ms <ms>', 'Raft tick length in milliseconds').default('100'))
  .addOption(
    new Option('--snapshot-threshold <n>', 'applied entries between automatic snapshots').default(
      '8192',
    ),
  )
  .addOption(
    new Option('--snapshot-trailing <n>', 'log entries kept behind a snapshot').default('10240'),
  )
  .showHelpAfterError()
  .action(async (dataDir: string | undefined, flags: RawFlags) => {
    const code = await main(dataDir, flags);
    process.exitCode = code;
    // Let stdout drain, but never linger on a stray handle after the agent has stopped.
    setTimeout(() => process.exit(code), 2_000).unref();
  });

program
  .command('demo')
  .description(
    'run a local 3-node Raft cluster in one process, kill its leader, verify every write',
  )
  .option('--log-level <level>', 'DEBUG, INFO, WARN or ERROR', 'INFO')
  .action(async (opts: { logLevel: string }) => {
    const level = opts.logLevel.toLowerCase();
    if (!['debug', 'info', 'warn', 'error'].includes(level)) {
      console.error(`sappers: --log-level: "${opts.logLevel}" must be DEBUG, INFO, WARN or ERROR`);
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

async function main(dataDir: string | undefined, flags: RawFlags): Promise<number> {
  if (dataDir === undefined) {
    console.error('sappers: missing DATA_DIR argument (e.g. ./raft/node1); see --help');
    return 2;
  }
  if (flags.triggerSnapshot === true) return triggerSnapshot(dataDir);
  try {
    return await runAgent(buildAgentOptions(dataDir, flags));
  } catch (err) {
    if (
      err instanceof OptionError ||
      (err instanceof Error && 'exitCode' in err && err.exitCode === 2)
    ) {
      console.error(`sappers: ${err.message}`);
      return 2;
    }
    throw err;
  }
}

await program.parseAsync(process.argv);
