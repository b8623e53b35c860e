// `sappers local`: which agents to start and with which flags. node1..N get the seed's ports
// (gossip 7946+i, Raft 12000+i, HTTP 11000+i, plus --port-offset) and node1 bootstraps, exactly
// as the original README's steps 2 and 3 type them; the commands printed for the user are the
// same ones, so a node can be restarted (or a next one added, step 8) by copy-paste.
import { isAbsolute, join, relative, resolve } from 'node:path';
import { OptionError, parseIntFlag, parseLogLevel, type LogLevel } from '../agent/options.ts';

export const nodesMax = 7;
const seedGossipPort = 7946;
const seedRaftPort = 12000;
const seedHttpPort = 11000;
/** Voters the seed's node1 asks for (`--bootstrap 3`); fewer when fewer agents run. */
const seedBootstrap = 3;
const portMax = 65535;

/** The raw strings commander hands over. */
export interface LocalFlags {
  readonly nodes: string;
  readonly portOffset: string;
  readonly dataRoot: string;
  readonly exitAfterCheck?: boolean;
  readonly logLevel: string;
}

export interface LocalOptions {
  readonly nodes: number;
  readonly portOffset: number;
  /** As typed (relative paths stay relative in printed commands). */
  readonly dataRoot: string;
  readonly exitAfterCheck: boolean;
  readonly logLevel: LogLevel;
}

export interface NodePlan {
  readonly id: string;
  /** DATA_DIR as printed in commands: relative to the working directory when under it. */
  readonly dataDirArg: string;
  readonly dataDir: string;
  readonly gossipPort: number;
  readonly raftPort: number;
  readonly httpPort: number;
  /** Where the agent's stdout and stderr go. */
  readonly outFile: string;
  /** The agent's arguments, DATA_DIR last. */
  readonly args: readonly string[];
}

export function parseLocalFlags(f: LocalFlags): LocalOptions {
  const nodes = parseIntFlag('--nodes', f.nodes, 1, nodesMax);
  const offsetMax = portMax - (seedRaftPort + nodesMax);
  const portOffset = parseIntFlag('--port-offset', f.portOffset, 0, offsetMax);
  if (f.dataRoot.trim() === '') throw new OptionError('--data-root', 'must not be empty');
  const logLevel = parseLogLevel('--log-level', f.logLevel);
  return {
    nodes,
    portOffset,
    dataRoot: f.dataRoot,
    exitAfterCheck: f.exitAfterCheck === true,
    logLevel,
  };
}

/** Voters the cluster has once formed: node1's --bootstrap count. */
export function expectedVoters(o: LocalOptions): number {
  return Math.min(o.nodes, seedBootstrap);
}

/** DATA_DIR of node `id` as a user types it: "./raft/node1" for the default data root. */
function dataDirArg(dataRoot: string, id: string, cwd: string): string {
  const abs = resolve(cwd, dataRoot, id);
  if (isAbsolute(dataRoot)) return abs;
  const rel = relative(cwd, abs);
  return rel.startsWith('..') ? rel : `./${rel}`;
}

/** The plan of agent number `index` (0-based); index === nodes gives the "add one more" node. */
export function planNode(o: LocalOptions, index: number, cwd: string): NodePlan {
  const id = `node${index + 1}`;
  const gossipPort = seedGossipPort + index + o.portOffset;
  const raftPort = seedRaftPort + index + o.portOffset;
  const httpPort = seedHttpPort + index + o.portOffset;
  const dataDir = resolve(cwd, o.dataRoot, id);
  const arg = dataDirArg(o.dataRoot, id, cwd);
  const args = [
    '--node-id',
    id,
    '--gossip-port',
    String(gossipPort),
    '--raft-addr',
    `:${raftPort}`,
    '--http-addr',
    `:${httpPort}`,
    // The default --join is the seed's 127.0.0.1:7946: with an offset it would reach whatever
    // cluster owns the default ports instead of this one.
    ...(o.portOffset === 0 ? [] : ['--join', `127.0.0.1:${seedGossipPort + o.portOffset}`]),
    ...(index === 0 ? ['--bootstrap', String(expectedVoters(o))] : []),
    ...(o.logLevel === 'info' ? [] : ['--log-level', o.logLevel.toUpperCase()]),
    arg,
  ];
  return {
    id,
    dataDirArg: arg,
    dataDir,
    gossipPort,
    raftPort,
    httpPort,
    outFile: join(dataDir, 'agent.out'),
    args,
  };
}

export function planNodes(o: LocalOptions, cwd: string): NodePlan[] {
  return Array.from({ length: o.nodes }, (_, i) => planNode(o, i, cwd));
}

/** A shell command line that starts the planned agent (values with ':' quoted as the seed does). */
export function commandLine(launcher: string, p: NodePlan): string {
  const quote = (a: string): string =>
    /^[A-Za-z0-9_./=-][A-Za-z0-9_./=:-]*$/.test(a) ? a : `"${a.replace(/(["\\$`])/g, '\\$1')}"`;
  return [launcher, ...p.args.map(quote)].join(' ');
}

/** The plan at `index`, wrapping around (1 agent: every role is node1). */
export function nodeAt(plans: readonly NodePlan[], index: number): NodePlan {
  const p = plans[index % plans.length];
  if (p === undefined) throw new Error('no agents planned');
  return p;
}
