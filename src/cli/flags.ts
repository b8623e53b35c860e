// Commander's raw strings to validated AgentOptions; each error names its flag.
import { resolve } from 'node:path';
import {
  advertiseFor,
  defaults,
  OptionError,
  parseAddrFlag,
  parseIntFlag,
  parseLogLevel,
  parseNodeId,
  type AgentOptions,
} from '../agent/options.ts';

export interface RawFlags {
  readonly nodeId?: string;
  readonly gossipPort: string;
  readonly raftAddr: string;
  readonly httpAddr: string;
  readonly bootstrap: string;
  readonly logLevel: string;
  readonly triggerSnapshot?: boolean;
  readonly tickMs: string;
  readonly snapshotThreshold: string;
  readonly snapshotTrailing: string;
}

export function buildAgentOptions(dataDir: string, f: RawFlags): AgentOptions {
  if (f.nodeId === undefined) throw new OptionError('--node-id', 'is required to start an agent');
  const raftBind = parseAddrFlag('--raft-addr', f.raftAddr);
  const httpBind = parseAddrFlag('--http-addr', f.httpAddr);
  const gossipPort = parseIntFlag('--gossip-port', f.gossipPort, 1, 65535);
  if (raftBind.port === httpBind.port) {
    throw new OptionError('--http-addr', `port ${httpBind.port} is already used by --raft-addr`);
  }
  return {
    nodeId: parseNodeId('--node-id', f.nodeId),
    dataDir: resolve(dataDir),
    gossipPort,
    raftBind,
    raftAdvertise: advertiseFor(raftBind),
    httpBind,
    httpAdvertise: advertiseFor(httpBind),
    bootstrap: parseIntFlag('--bootstrap', f.bootstrap, 0, 99),
    logLevel: parseLogLevel('--log-level', f.logLevel),
    tickMs: parseIntFlag('--tick-ms', f.tickMs, 1, 10_000),
    electionTicks: defaults.electionTicks,
    snapshotThreshold: parseIntFlag('--snapshot-threshold', f.snapshotThreshold, 1, 1_000_000_000),
    snapshotTrailing: parseIntFlag('--snapshot-trailing', f.snapshotTrailing, 0, 1_000_000_000),
  };
}
