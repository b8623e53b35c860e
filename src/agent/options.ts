// The agent's configuration, validated once: every bad value is reported with its flag name.
import { AddressError, parseHostPort, type HostPort } from '../transport/address.ts';

export const logLevels = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof logLevels)[number];

export interface AgentOptions {
  readonly nodeId: string;
  readonly dataDir: string;
  readonly gossipPort: number;
  /** Where the Raft transport listens. */
  readonly raftBind: HostPort;
  /** What other nodes dial to reach this node's Raft transport. */
  readonly raftAdvertise: HostPort;
  readonly httpBind: HostPort;
  readonly httpAdvertise: HostPort;
  /** Create a new single-voter cluster on an empty DATA_DIR (later: wait for N peers). */
  readonly bootstrap: number;
  readonly logLevel: LogLevel;
  readonly tickMs: number;
  readonly electionTicks: number;
  /** Applied entries between automatic snapshots, and entries kept behind a snapshot. */
  readonly snapshotThreshold: number;
  readonly snapshotTrailing: number;
}

export class OptionError extends Error {
  readonly code = 'BAD_OPTION';
  readonly flag: string;

  constructor(flag: string, reason: string) {
    super(`${flag}: ${reason}`);
    this.name = 'OptionError';
    this.flag = flag;
  }
}

export const defaults = {
  gossipPort: 7946,
  raftAddr: ':12000',
  httpAddr: ':11000',
  bootstrap: 0,
  logLevel: 'INFO',
  tickMs: 100,
  electionTicks: 10,
  snapshotThreshold: 8192,
  snapshotTrailing: 10240,
} as const;

const nodeIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function parseNodeId(flag: string, v: string): string {
  if (!nodeIdPattern.test(v)) {
    throw new OptionError(
      flag,
      `"${v}" must be 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit`,
    );
  }
  return v;
}

export function parseIntFlag(flag: string, v: string, min: number, max: number): number {
  if (!/^[0-9]+$/.test(v.trim())) throw new OptionError(flag, `"${v}" is not a whole number`);
  const n = Number(v.trim());
  if (n < min || n > max) throw new OptionError(flag, `${n} is out of range ${min}-${max}`);
  return n;
}

export function parseAddrFlag(flag: string, v: string): HostPort {
  const a = parseHostPort(v);
  if (a instanceof AddressError) throw new OptionError(flag, a.message);
  return a;
}

export function parseLogLevel(flag: string, v: string): LogLevel {
  const l = v.toLowerCase();
  const found = logLevels.find((x) => x === l);
  if (found === undefined) throw new OptionError(flag, `"${v}" must be DEBUG, INFO, WARN or ERROR`);
  return found;
}

/** A listener bound to all interfaces is reached on loopback unless told otherwise. */
export function advertiseFor(bind: HostPort): HostPort {
  const wildcard = bind.host === '' || bind.host === '0.0.0.0' || bind.host === '::';
  return { host: wildcard ? '127.0.0.1' : bind.host, port: bind.port };
}
