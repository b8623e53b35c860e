// Commander's raw strings to validated AgentOptions; each error names its flag.
import { resolve } from 'node:path';
import type { HostPort } from '../transport/address.ts';
import {
  advertiseFor,
  defaults,
  OptionError,
  parseAddrFlag,
  parseIntFlag,
  parseLogLevel,
  parseIpFlag,
  parseKeyFlag,
  parseLabelFlag,
  parseNodeId,
  parseTagsFlag,
  parseVotersFlag,
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
  readonly recover?: boolean;
  readonly tickMs: string;
  readonly snapshotThreshold: string;
  readonly snapshotTrailing: string;
  readonly bind: string;
  readonly advertise?: string;
  readonly join: readonly string[];
  readonly encrypt?: string;
  readonly gossipLabel?: string;
  readonly voters: string;
  readonly tags: string;
  readonly autopilotStabilizationMs: string;
  readonly autopilotFailedGraceMs: string;
  readonly autopilotReapMs: string;
}

export function buildAgentOptions(dataDir: string, f: RawFlags): AgentOptions {
  if (f.nodeId === undefined) throw new OptionError('--node-id', 'is required to start an agent');
  const raftBind = parseAddrFlag('--raft-addr', f.raftAddr);
  const httpBind = parseAddrFlag('--http-addr', f.httpAddr);
  const gossipPort = parseIntFlag('--gossip-port', f.gossipPort, 1, 65535);
  if (raftBind.port === httpBind.port) {
    throw new OptionError('--http-addr', `port ${httpBind.port} is already used by --raft-addr`);
  }
  const gossipBind = parseIpFlag('--bind', f.bind);
  const advertise = f.advertise === undefined ? null : parseIpFlag('--advertise', f.advertise);
  const withAdvertise = (bind: HostPort): HostPort => {
    const a = advertiseFor(bind);
    return advertise !== null && a.host !== bind.host ? { ...a, host: advertise } : a;
  };
  const gossipAdvertise = advertise ?? advertiseFor({ host: gossipBind, port: 0 }).host;
  const join = (f.join.length === 0 ? [defaults.join] : f.join).map((j) =>
    parseAddrFlag('--join', j),
  );
  return {
    nodeId: parseNodeId('--node-id', f.nodeId),
    dataDir: resolve(dataDir),
    gossipPort,
    raftBind,
    raftAdvertise: withAdvertise(raftBind),
    httpBind,
    httpAdvertise: withAdvertise(httpBind),
    bootstrap: parseIntFlag('--bootstrap', f.bootstrap, 0, 99),
    logLevel: parseLogLevel('--log-level', f.logLevel),
    tickMs: parseIntFlag('--tick-ms', f.tickMs, 1, 10_000),
    electionTicks: defaults.electionTicks,
    snapshotThreshold: parseIntFlag('--snapshot-threshold', f.snapshotThreshold, 1, 1_000_000_000),
    snapshotTrailing: parseIntFlag('--snapshot-trailing', f.snapshotTrailing, 0, 1_000_000_000),
    gossipBind,
    gossipAdvertise,
    join,
    encryptKey: f.encrypt === undefined ? null : parseKeyFlag('--encrypt', f.encrypt),
    gossipLabel:
      f.gossipLabel === undefined ? null : parseLabelFlag('--gossip-label', f.gossipLabel),
    voters: parseVotersFlag('--voters', f.voters),
    tags: parseTagsFlag('--tags', f.tags),
    stabilizationMs: parseIntFlag(
      '--autopilot-stabilization-ms',
      f.autopilotStabilizationMs,
      0,
      3_600_000,
    ),
    failedGraceMs: parseIntFlag(
      '--autopilot-failed-grace-ms',
      f.autopilotFailedGraceMs,
      0,
      3_600_000,
    ),
    reapMs: parseIntFlag('--autopilot-reap-ms', f.autopilotReapMs, 0, 86_400_000),
  };
}
