// Commands replicated through the Raft log. Encoded with msgpack (no records extension, so any
// msgpack reader can decode them) and validated on decode: a log entry is data from disk or the
// wire, and a malformed one must be refused loudly, never half-applied.
import { Packr } from 'msgpackr';

export type Command =
  | {
      readonly t: 'kv.set';
      readonly key: string;
      readonly value: Uint8Array;
      readonly flags: number;
      /** Consul check-and-set: 0 = only if absent, N = only if ModifyIndex is N. */
      readonly cas: number | null;
    }
  | {
      readonly t: 'kv.delete';
      readonly key: string;
      readonly recurse: boolean;
      readonly cas: number | null;
    };

const packr = new Packr({ useRecords: false, moreTypes: false });

export class CommandError extends Error {
  readonly code = 'BAD_COMMAND';
  readonly field: string;

  constructor(field: string, reason: string) {
    super(`command field ${field}: ${reason}`);
    this.name = 'CommandError';
    this.field = field;
  }
}

export function encodeCommand(c: Command): Uint8Array {
  return packr.pack(c);
}

export function decodeCommand(bytes: Uint8Array): Command {
  let raw: unknown;
  try {
    raw = packr.unpack(bytes);
  } catch (err) {
    throw new CommandError('(entry)', `not msgpack: ${String(err)}`);
  }
  if (typeof raw !== 'object' || raw === null) throw new CommandError('(entry)', 'not a map');
  const o = raw as Record<string, unknown>;
  switch (o['t']) {
    case 'kv.set':
      return {
        t: 'kv.set',
        key: str(o, 'key'),
        value: bytesField(o, 'value'),
        flags: uint(o, 'flags'),
        cas: optUint(o, 'cas'),
      };
    case 'kv.delete':
      return {
        t: 'kv.delete',
        key: str(o, 'key'),
        recurse: bool(o, 'recurse'),
        cas: optUint(o, 'cas'),
      };
    default:
      throw new CommandError('t', `unknown command type ${JSON.stringify(o['t'])}`);
  }
}

function str(o: Record<string, unknown>, f: string): string {
  const v = o[f];
  if (typeof v !== 'string') throw new CommandError(f, 'must be a string');
  return v;
}

function bool(o: Record<string, unknown>, f: string): boolean {
  const v = o[f];
  if (typeof v !== 'boolean') throw new CommandError(f, 'must be a boolean');
  return v;
}

function uint(o: Record<string, unknown>, f: string): number {
  const v = o[f];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new CommandError(f, 'must be a non-negative integer');
  }
  return v;
}

function optUint(o: Record<string, unknown>, f: string): number | null {
  return o[f] === null || o[f] === undefined ? null : uint(o, f);
}

function bytesField(o: Record<string, unknown>, f: string): Uint8Array {
  const v = o[f];
  if (!(v instanceof Uint8Array)) throw new CommandError(f, 'must be bytes');
  // msgpackr yields Buffers; keep one representation everywhere.
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}
