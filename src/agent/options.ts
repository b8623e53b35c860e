// The agent's configuration, validated once: every bad value is reported with its flag name.
import { isIP } from 'node:net';
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
  /** IP literal gossip binds UDP and TCP to (--bind; default every IPv4 interface). */
  readonly gossipBind: string;
  /** IP literal other agents reach this one's gossip on (--advertise, else from --bind). */
  readonly gossipAdvertise: string;
  /** --join addresses, tried until one answers (default 127.0.0.1:7946; itself is skipped). */
  readonly join: readonly HostPort[];
  /** --encrypt: the gossip key (16, 24 or 32 bytes), or null for plain gossip. */
  readonly encryptKey: Uint8Array | null;
  /** --gossip-label: memberlist's cluster label (1..255 bytes), or null for none. */
  readonly gossipLabel: string | null;
  /** --voters: how many voters autopilot keeps (odd, >= 1). */
  readonly voters: number;
  /** --tags: this agent's tags, e.g. consensus (preferred as a voter). */
  readonly tags: readonly string[];
  /** Autopilot timings (Consul's server stabilization time, dead-server grace, reaping). */
  readonly stabilizationMs: number;
  readonly failedGraceMs: number;
  readonly reapMs: number;
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
  bind: '0.0.0.0',
  join: '127.0.0.1:7946',
  voters: 3,
  stabilizationMs: 10_000,
  failedGraceMs: 5_000,
  reapMs: 60_000,
} as const;

export function parseIpFlag(flag: string, v: string): string {
  const s = v.trim();
  if (isIP(s) === 0) throw new OptionError(flag, `"${v}" must be an IP address (e.g. 10.0.0.5)`);
  return s;
}

/** --encrypt: base64 of a 16, 24 or 32-byte key (as `consul keygen` prints). */
export function parseKeyFlag(flag: string, v: string): Uint8Array {
  const s = v.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(s) || s.length % 4 !== 0) {
    throw new OptionError(flag, 'must be base64 (e.g. the output of `openssl rand -base64 32`)');
  }
  const key = Buffer.from(s, 'base64');
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new OptionError(flag, `key is ${key.length} bytes; it must be 16, 24 or 32`);
  }
  return new Uint8Array(key);
}

/** --gossip-label: 1..255 bytes of UTF-8 (the length travels in one byte). */
export function parseLabelFlag(flag: string, v: string): string {
  const n = Buffer.byteLength(v, 'utf8');
  if (n === 0) throw new OptionError(flag, 'must not be empty (leave the flag out for no label)');
  if (n > 255) throw new OptionError(flag, `is ${n} bytes; at most 255 are allowed`);
  return v;
}

const tagPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const maxTags = 32;

export function parseTagsFlag(flag: string, v: string): string[] {
  const tags = v
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  for (const t of tags) {
    if (!tagPattern.test(t)) {
      throw new OptionError(flag, `tag "${t}" must be 1-64 letters, digits, ".", "_" or "-"`);
    }
  }
  if (tags.length > maxTags) throw new OptionError(flag, `at most ${maxTags} tags`);
  return [...new Set(tags)];
}

export function parseVotersFlag(flag: string, v: string): number {
  const n = parseIntFlag(flag, v, 1, 99);
  if (n % 2 === 0) throw new OptionError(flag, `${n} must be odd (1, 3, 5, ...)`);
  return n;
}

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
