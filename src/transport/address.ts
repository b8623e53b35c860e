// `--raft-addr` style addresses: `host:port`, `:port` (all interfaces), `[v6]:port`.
// Parsing returns an AddressError instead of throwing so the CLI can report it next to the flag.
import { isIPv6 } from 'node:net';

export interface HostPort {
  /** Empty string means all interfaces when listening (and localhost when dialing). */
  readonly host: string;
  readonly port: number;
}

export class AddressError extends Error {
  readonly input: string;

  constructor(input: string, problem: string) {
    super(`invalid address ${JSON.stringify(input)}: ${problem}`);
    this.name = 'AddressError';
    this.input = input;
  }
}

export interface ParseOptions {
  /** Port 0 (let the OS pick) is only useful for listening in tests. */
  readonly allowPortZero?: boolean;
}

// Hostnames and IPv4 literals: letters, digits, dots, hyphens, underscores.
const HOST_NAME = /^[A-Za-z0-9._-]{1,253}$/;
const DIGITS = /^[0-9]{1,5}$/;

export function parseHostPort(input: string, options: ParseOptions = {}): HostPort | AddressError {
  const s = input.trim();
  if (s === '') return new AddressError(input, 'empty');
  const split = s.startsWith('[') ? splitBracketed(s) : splitPlain(s);
  if (typeof split === 'string') return new AddressError(input, split);
  const port = parsePort(split.portText, options.allowPortZero === true);
  if (typeof port === 'string') return new AddressError(input, port);
  return { host: split.host, port };
}

export function formatHostPort(addr: HostPort): string {
  // Bracket IPv6 literals so the last colon unambiguously starts the port.
  const host = addr.host.includes(':') ? `[${addr.host}]` : addr.host;
  return `${host}:${String(addr.port)}`;
}

interface Split {
  readonly host: string;
  readonly portText: string;
}

// The split functions return a description of the problem as a string on failure.
function splitBracketed(s: string): Split | string {
  const close = s.indexOf(']');
  if (close < 0) return 'missing "]" after IPv6 address';
  const host = s.slice(1, close);
  if (!isIPv6(host)) return `"${host}" is not an IPv6 address`;
  const rest = s.slice(close + 1);
  if (!rest.startsWith(':')) return 'missing ":port" after "]"';
  return { host, portText: rest.slice(1) };
}

function splitPlain(s: string): Split | string {
  const colon = s.lastIndexOf(':');
  if (colon < 0) return DIGITS.test(s) ? `missing ":" (did you mean ":${s}"?)` : 'missing ":port"';
  const host = s.slice(0, colon);
  if (host.includes(':')) return 'IPv6 addresses must be written as [addr]:port';
  if (host !== '' && !HOST_NAME.test(host)) return `bad host "${host}"`;
  return { host, portText: s.slice(colon + 1) };
}

/** The port, or a description of what is wrong with it. */
function parsePort(text: string, allowZero: boolean): number | string {
  if (text === '') return 'missing port';
  if (!DIGITS.test(text)) return `port "${text}" is not a number`;
  const port = Number(text);
  const min = allowZero ? 0 : 1;
  if (port < min || port > 65535) return `port ${text} is out of range ${String(min)}-65535`;
  return port;
}
