// Flags of the Sappers gossip peer (interop/ts-peer/main.ts), spelled like the Go peer's
// (-name=x, -name x, --name=x; booleans as -flag or -flag=true|false). Bad input is a
// FlagError naming the flag.
import {
  defaultLANConfig,
  defaultLocalConfig,
  type GossipConfig,
} from '../../src/gossip/core/index.ts';

export class FlagError extends Error {}

export interface PeerFlags {
  readonly name: string;
  readonly bind: string;
  /** 0 picks a port free for both UDP and TCP; the ready line tells which. */
  readonly port: number;
  readonly join: readonly string[];
  /** Base64 AES key (16, 24 or 32 bytes), or '' for no encryption. */
  readonly key: string;
  readonly config: GossipConfig;
  readonly compression: boolean;
  /** How often to print the member list; 0 never. */
  readonly intervalMs: number;
  readonly meta: string;
  readonly log: boolean;
  /** Probability of dropping each outgoing UDP datagram (a simulated lossy network). */
  readonly drop: number;
  /** Probability that each outgoing TCP exchange fails at once (a simulated lossy network). */
  readonly dropStreams: number;
}

const booleans = new Set(['compression', 'log']);
const known = new Set([
  'name',
  'bind',
  'port',
  'join',
  'key',
  'config',
  'compression',
  'protocol',
  'interval',
  'meta',
  'log',
  'drop',
  'drop-streams',
]);

/** A Go duration as the peer takes it: 0, 250ms, 1s, 1.5s, 2m; the number of milliseconds. */
export function parseDurationMs(flag: string, text: string): number {
  if (text === '0') return 0;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  if (m === null)
    throw new FlagError(`-${flag}: expected a duration like 250ms or 1s, got "${text}"`);
  const unit = m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000;
  return Math.round(Number(m[1]) * unit);
}

function integer(flag: string, text: string, min: number, max: number): number {
  const v = Number(text);
  if (!/^\d+$/.test(text) || v < min || v > max) {
    throw new FlagError(`-${flag}: expected an integer in [${min}, ${max}], got "${text}"`);
  }
  return v;
}

/** A probability in [0, 1); throws FlagError naming `flag`. */
export function probability(flag: string, text: string): number {
  const p = Number(text);
  if (text === '' || !(p >= 0 && p < 1)) {
    throw new FlagError(`-${flag}: expected a probability in [0, 1), got "${text}"`);
  }
  return p;
}

function bool(flag: string, text: string): boolean {
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new FlagError(`-${flag}: expected true or false, got "${text}"`);
}

function split(argv: readonly string[]): Map<string, string> {
  const raw = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const m = /^--?([a-z-]+)(?:=(.*))?$/s.exec(arg);
    const flag = m?.[1];
    if (m === null || flag === undefined) throw new FlagError(`unexpected argument "${arg}"`);
    if (!known.has(flag)) throw new FlagError(`-${flag}: unknown flag`);
    let value = m[2];
    if (value === undefined) {
      if (booleans.has(flag)) value = 'true';
      else {
        value = argv[++i];
        if (value === undefined) throw new FlagError(`-${flag}: needs a value`);
      }
    }
    raw.set(flag, value);
  }
  return raw;
}

export function parseFlags(argv: readonly string[]): PeerFlags {
  const raw = split(argv);
  const name = raw.get('name') ?? '';
  if (name === '') throw new FlagError('-name: required');
  const profile = raw.get('config') ?? 'local';
  const base =
    profile === 'local' ? defaultLocalConfig : profile === 'lan' ? defaultLANConfig : undefined;
  if (base === undefined) throw new FlagError(`-config: expected lan or local, got "${profile}"`);
  const protocol = raw.get('protocol');
  const config =
    protocol === undefined
      ? base
      : { ...base, protocolVersion: integer('protocol', protocol, 2, 5) };
  const joinText = raw.get('join') ?? '';
  const drop = probability('drop', raw.get('drop') ?? '0');
  const dropStreams = probability('drop-streams', raw.get('drop-streams') ?? '0');
  return {
    name,
    bind: raw.get('bind') ?? '127.0.0.1',
    port: integer('port', raw.get('port') ?? '0', 0, 65_535),
    join: joinText === '' ? [] : joinText.split(','),
    key: raw.get('key') ?? '',
    config,
    compression: bool('compression', raw.get('compression') ?? 'true'),
    intervalMs: parseDurationMs('interval', raw.get('interval') ?? '1s'),
    meta: raw.get('meta') ?? '',
    log: bool('log', raw.get('log') ?? 'false'),
    drop,
    dropStreams,
  };
}

/** "host:port" as a gossip address; throws FlagError naming `flag`. */
export function parseHostPort(flag: string, text: string): { host: string; port: number } {
  const i = text.lastIndexOf(':');
  const host = i > 0 ? text.slice(0, i).replace(/^\[(.*)\]$/, '$1') : '';
  if (host === '') throw new FlagError(`-${flag}: expected host:port, got "${text}"`);
  return { host, port: integer(flag, text.slice(i + 1), 1, 65_535) };
}
