#!/usr/bin/env node
// The `sappers` command line: the seed's flags start an agent that owns DATA_DIR; one-shot
// flags (--trigger-snapshot) talk to the agent already running there.
import { Command, Option } from 'commander';
import { pino } from 'pino';
import { OptionError } from '../agent/options.ts';
import { buildAgentOptions, type RawFlags } from './flags.ts';
import { runDemo } from './demo.ts';
import { registerLocalCommand } from './local.ts';
import { triggerSnapshot } from './one-shot.ts';
import { runRecover } from './recover.ts';
import { registerStatusCommand } from './status.ts';
import { runAgent } from './run-agent.ts';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

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
  .option(
    '--bootstrap <n>',
    'on an empty DATA_DIR, wait until gossip shows n agents, then create a cluster with them as voters (1: at once)',
    '0',
  )
  .option('--log-level <level>', 'DEBUG, INFO, WARN or ERROR', 'INFO')
  .addOption(
    new Option('--join <host:port>', 'gossip address of an agent to join (repeatable)')
      .argParser(collect)
      .default([], '127.0.0.1:7946'),
  )
  .option('--bind <ip>', 'IP address gossip listens on', '0.0.0.0')
  .option(
    '--advertise <ip>',
    'IP address other agents use to reach this one (default: from the bind addresses, 127.0.0.1 for all interfaces)',
  )
  .option('--encrypt <base64-key>', 'encrypt gossip with this 16, 24 or 32-byte key (base64)')
  .option(
    '--gossip-label <label>',
    'cluster label on every gossip packet and stream (memberlist Label, up to 255 bytes); only agents with the same label hear each other',
  )
  .option('--tags <a,b>', 'comma-separated tags of this agent ("consensus": preferred voter)', '')
  .option('--voters <n>', 'voters autopilot keeps in the Raft configuration (odd)', '3')
  .option('--trigger-snapshot', 'ask the agent running on DATA_DIR to snapshot now, print it, exit')
  .option(
    '--recover',
    'quorum lost for good: make this stopped node the only voter of its DATA_DIR, print it, exit',
  )
  .addOption(new Option('--tick-ms <ms>', 'Raft tick length in milliseconds').default('100'))
  .addOption(
    new Option(
      '--snapshot-threshold <n>',
      'applied entries between automatic snapshots, at least; also at least as many as the rows and events the last one held (up to 16x n), so their cost per write stays flat as the state grows',
    ).default('8192'),
  )
  .addOption(
    new Option('--snapshot-trailing <n>', 'log entries kept behind a snapshot').default('10240'),
  )
  .addOption(
    new Option(
      '--autopilot-stabilization-ms <ms>',
      'a replica must be healthy this long before autopilot promotes it',
    ).default('10000'),
  )
  .addOption(
    new Option(
      '--autopilot-failed-grace-ms <ms>',
      'a voter gossip reports failed this long is replaced',
    ).default('5000'),
  )
  .addOption(
    new Option(
      '--autopilot-reap-ms <ms>',
      'a failed or departed replica is removed after this long',
    ).default('60000'),
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

registerStatusCommand(program);
registerLocalCommand(program);

program.exitOverride((err) => {
  process.exit(err.exitCode === 0 ? 0 : 2);
});

async function main(dataDir: string | undefined, flags: RawFlags): Promise<number> {
  if (dataDir === undefined) {
    console.error('sappers: missing DATA_DIR argument (e.g. ./raft/node1); see --help');
    return 2;
  }
  if (flags.recover === true) {
    if (flags.triggerSnapshot === true) {
      console.error('sappers: --recover and --trigger-snapshot cannot be combined');
      return 2;
    }
    return runRecover(dataDir);
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
