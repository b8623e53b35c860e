// On-disk record format for lmdb values: [crc32 (u32 BE) of the rest][format version u8][msgpack].
// lmdb commits are atomic, so a crash cannot tear a record; the checksum catches what lmdb
// cannot: bit rot, a damaged copy, a stray write. Decoded values are shape-checked, so a record
// written by a different (future) format fails loudly instead of reaching the core.
import * as zlib from 'node:zlib';
import { Packr } from 'msgpackr';
import { takeOut } from '../codec/index.ts';
import type { Config, ConfChange, Entry, HardState, SnapshotMeta } from '../raft/index.ts';
import { normalEntrySize, writeNormalEntry, type NormalEntry } from './entry-writer.ts';
import { RecordError } from './errors.ts';

const FORMAT_VERSION = 1;
const HEADER = 5;
// Plain maps, not msgpackr records: records keep shared structure state that a partial read
// of the log would not have.
const packr = new Packr({ useRecords: false });

const CRC_TABLE = buildCrcTable();

function buildCrcTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** zlib's native CRC-32 (Node >= 20.15); the table version below serves older runtimes. */
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/** CRC-32 (the zlib/PNG polynomial). */
export function crc32(bytes: Uint8Array): number {
  return nativeCrc32 === undefined ? tableCrc32(bytes) : nativeCrc32(bytes) >>> 0;
}

export function tableCrc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function seal(value: unknown): Buffer {
  const payload = packr.pack(value);
  const out = Buffer.allocUnsafe(HEADER + payload.length);
  out[4] = FORMAT_VERSION;
  payload.copy(out, HEADER);
  out.writeUInt32BE(crc32(out.subarray(4)), 0);
  return out;
}

export function unseal(bytes: Uint8Array): unknown {
  if (bytes.length <= HEADER) throw new RecordError(`truncated record (${bytes.length} bytes)`);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (buf.readUInt32BE(0) !== crc32(buf.subarray(4))) throw new RecordError('checksum mismatch');
  if (buf[4] !== FORMAT_VERSION) throw new RecordError(`unknown record format ${buf[4]}`);
  return unpack(buf.subarray(HEADER));
}

/** Plain msgpack, for containers with their own checksum (snapshot files). */
export function pack(value: unknown): Buffer {
  return packr.pack(value);
}

export function unpack(bytes: Uint8Array): unknown {
  try {
    return packr.unpack(bytes) as unknown;
  } catch (err) {
    throw new RecordError(`undecodable record: ${String(err)}`);
  }
}

/**
 * seal(e), with normal entries (one per replicated write, on every node) written by hand: the
 * same bytes without msgpackr's generic walk. Conf entries and odd shapes take seal().
 */
export function encodeEntry(e: Entry): Buffer {
  const size = normalEntrySize(e);
  if (size < 0) return seal(e);
  const { out, at, bytes: record } = takeOut(HEADER + size);
  const end = writeNormalEntry(out, at + HEADER, e as NormalEntry);
  // Unreachable unless the size and write passes disagree; msgpackr is the authority then.
  if (end !== at + record.length) return seal(e);
  record[4] = FORMAT_VERSION;
  record.writeUInt32BE(crc32(record.subarray(4)), 0);
  return record;
}

export function decodeEntry(bytes: Uint8Array): Entry {
  return toEntry(unseal(bytes));
}

// ---- shape checks ------------------------------------------------------------------------------

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function fail(what: string): never {
  throw new RecordError(`malformed ${what}`);
}

function strings(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) fail(what);
  return [...v] as string[];
}

export function toConfig(v: unknown): Config {
  if (!isObj(v)) fail('config');
  const base = {
    voters: strings(v['voters'], 'config'),
    learners: strings(v['learners'], 'config'),
  };
  const a = v['addresses'];
  if (a === undefined || a === null) return base;
  if (!isObj(a) || !Object.values(a).every((x) => typeof x === 'string')) fail('config addresses');
  return { ...base, addresses: { ...(a as Record<string, string>) } };
}

const CHANGE_TYPES = new Set(['addVoter', 'addLearner', 'promote', 'remove']);

function toChange(v: unknown): ConfChange {
  if (!isObj(v) || typeof v['node'] !== 'string' || typeof v['type'] !== 'string') fail('change');
  if (!CHANGE_TYPES.has(v['type'])) fail('change');
  const type = v['type'] as ConfChange['type'];
  const address = v['address'];
  if (address !== undefined && typeof address !== 'string') fail('change address');
  if ((type === 'addVoter' || type === 'addLearner') && address !== undefined) {
    return { type, node: v['node'], address };
  }
  return { type, node: v['node'] };
}

/** Copies binary data out of the decoder's Buffer: stored values must not alias lmdb memory. */
function toBytes(v: unknown): Uint8Array {
  if (!(v instanceof Uint8Array)) fail('entry data');
  return new Uint8Array(v);
}

export function toEntry(v: unknown): Entry {
  if (!isObj(v) || !isIndex(v['term']) || !isIndex(v['index'])) fail('entry');
  const { term, index } = v;
  if (v['type'] === 'normal') return { type: 'normal', term, index, data: toBytes(v['data']) };
  if (v['type'] !== 'conf') fail('entry');
  return {
    type: 'conf',
    term,
    index,
    change: toChange(v['change']),
    config: toConfig(v['config']),
  };
}

export function toHardState(v: unknown): HardState {
  if (!isObj(v) || !isIndex(v['term']) || !isIndex(v['commit'])) fail('hard state');
  const vote = v['vote'];
  if (vote !== null && typeof vote !== 'string') fail('hard state');
  return { term: v['term'], vote, commit: v['commit'] };
}

export function toSnapshotMeta(v: unknown): SnapshotMeta {
  if (!isObj(v) || !isIndex(v['index']) || !isIndex(v['term'])) fail('snapshot meta');
  return { index: v['index'], term: v['term'], config: toConfig(v['config']) };
}

export function toIndex(v: unknown, what: string): number {
  if (!isIndex(v)) fail(what);
  return v;
}

export function toNodeId(v: unknown): string {
  if (typeof v !== 'string' || v === '') fail('node id');
  return v;
}
