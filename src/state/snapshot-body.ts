// The snapshot of the whole management database, msgpack-encoded (no records extension).
// Version 2 holds the key-value table, the members table, the cluster id and the event log
// (retained events plus the chain base). Version 1 (key-value only) still restores: it starts
// with no members, no cluster id and an empty chain. A snapshot is data from disk or the wire,
// so its shape is checked before anything is replaced.
//
// encodeSnapshotSliced writes the same bytes as encodeSnapshot in slices of about a millisecond
// with the event loop free in between, so an agent keeps applying entries while a snapshot of
// a large table is packed: msgpack concatenates, so an array is its header followed by its
// elements packed in chunks, each chunk's own array header cut off. The key-value rows and the
// events are written by hand (snapshot-rows.ts), straight into one buffer of the exact size.
import { performance } from 'node:perf_hooks';
import { Packr } from 'msgpackr';
import { CommandError, validateCommand, type Command } from './commands.ts';
import type { ChainBase, ChainEvent, EventData } from './event-log.ts';
import { GENESIS } from './event-log.ts';
import type { KvEntry } from './kv-table.ts';
import type { MemberRow } from './members-table.ts';
import {
  arrayHeaderBytes,
  map16,
  msgpackOut,
  writeArrayHeader,
  type MsgpackOut,
} from '../codec/index.ts';
import { eventRowCodec, kvRowCodec, type RowCodec } from './snapshot-rows.ts';

export const SNAPSHOT_VERSION = 2;

export interface SnapshotContents {
  readonly kvIndex: number;
  readonly kv: readonly KvEntry[];
  readonly membersIndex: number;
  readonly members: readonly MemberRow[];
  readonly clusterId: string | null;
  readonly eventBase: ChainBase;
  readonly events: readonly ChainEvent[];
}

interface BodyV1 {
  readonly version: 1;
  readonly kvIndex: number;
  readonly kv: readonly KvEntry[];
  readonly lastApplied: number;
}

interface BodyV2 extends Omit<BodyV1, 'version'>, Omit<SnapshotContents, 'kvIndex' | 'kv'> {
  readonly version: 2;
}

const packr = new Packr({ useRecords: false, moreTypes: false });

export class SnapshotFormatError extends Error {
  readonly code = 'BAD_SNAPSHOT';
}

export function encodeSnapshot(c: SnapshotContents, lastApplied: number): Uint8Array {
  const steps = encodeSteps(snapshotBody(c, lastApplied));
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}

/** The state at one index, as a snapshot holds it: arrays of immutable rows and events. */
export interface SnapshotView {
  readonly contents: SnapshotContents;
  readonly lastApplied: number;
}

export interface SliceOptions {
  /** Resolves when encoding may go on; the default waits for setImmediate. */
  readonly yield?: () => Promise<void>;
  /** Work done between yields, in ms of this thread's time. */
  readonly sliceMs?: number;
}

/** Elements packed per call: under msgpack's 16-bit array size, and small next to sliceMs. */
const CHUNK_ELEMENTS = 256;
/**
 * A leader's slice delays every request in flight by its length, and a busy leader packs a
 * snapshot for some tens of milliseconds every few seconds: 1 ms slices kept the benchmark's
 * p99 about 2 ms lower than 4 ms slices, at the same throughput (docs/BENCHMARKS.md).
 */
const SLICE_MS_DEFAULT = 1;
/** Bytes copied per step when joining the packed parts (about a millisecond's work). */
const COPY_STEP_BYTES = 1 << 20;
/** Arrays whose rows are written by hand (snapshot-rows.ts); rows of another shape by msgpackr. */
const ROW_CODECS: Readonly<Record<string, RowCodec<unknown>>> = {
  kv: kvRowCodec,
  events: eventRowCodec,
};

/** encodeSnapshot's bytes, packed in slices with the event loop free between them. */
export async function encodeSnapshotSliced(
  view: SnapshotView,
  options: SliceOptions = {},
): Promise<Uint8Array> {
  const slicer = new Slicer(options);
  const steps = encodeSteps(snapshotBody(view.contents, view.lastApplied));
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
    await slicer.maybeYield();
  }
}

function snapshotBody(c: SnapshotContents, lastApplied: number): BodyV2 {
  return { version: SNAPSHOT_VERSION, lastApplied, ...c };
}

/** Rows of one array that a RowCodec writes, with the bytes of those msgpackr packed instead. */
interface RowsPart {
  readonly codec: RowCodec<unknown>;
  readonly rows: readonly unknown[];
  readonly packed: Map<number, Uint8Array>;
}

type Part = Uint8Array | RowsPart;

/**
 * msgpackr's bytes for `body`, yielding between steps of bounded work: first every part is
 * sized (values and other arrays packed by msgpackr, rows measured), then written into one
 * buffer of exactly the total size.
 */
function* encodeSteps(body: BodyV2): Generator<void, Uint8Array, void> {
  const entries = Object.entries(body);
  const header = map16(entries.length);
  const parts: Part[] = [header];
  let total = header.byteLength;
  const add = (p: Uint8Array): void => {
    parts.push(p);
    total += p.byteLength;
  };
  for (const [key, value] of entries) {
    add(packr.pack(key));
    if (!Array.isArray(value)) {
      add(packr.pack(value));
      continue;
    }
    const items = value as readonly unknown[];
    add(arrayHeader(items.length));
    const codec = ROW_CODECS[key];
    if (codec === undefined) {
      for (let lo = 0; lo < items.length; lo += CHUNK_ELEMENTS) {
        const packed = packr.pack(items.slice(lo, lo + CHUNK_ELEMENTS));
        add(packed.subarray(arrayHeaderBytes(Math.min(CHUNK_ELEMENTS, items.length - lo))));
        yield;
      }
      continue;
    }
    const part: RowsPart = { codec, rows: items, packed: new Map() };
    parts.push(part);
    total += yield* sizeRows(part);
  }
  const out = msgpackOut(Buffer.allocUnsafe(total));
  let at = 0;
  for (const p of parts) {
    at = p instanceof Uint8Array ? yield* copyPart(out, at, p) : yield* writeRows(out, at, p);
  }
  if (at !== total) throw new Error(`snapshot encoding wrote ${at} of ${total} bytes`);
  return out.bytes;
}

function* sizeRows(part: RowsPart): Generator<void, number, void> {
  const { codec, rows, packed } = part;
  let bytes = 0;
  for (let lo = 0; lo < rows.length; lo += CHUNK_ELEMENTS) {
    const hi = Math.min(rows.length, lo + CHUNK_ELEMENTS);
    for (let i = lo; i < hi; i++) {
      const row = rows[i];
      let n = codec.size(row);
      if (n < 0) {
        const p = packr.pack(row);
        packed.set(i, p);
        n = p.byteLength;
      }
      bytes += n;
    }
    yield;
  }
  return bytes;
}

function* writeRows(out: MsgpackOut, at: number, part: RowsPart): Generator<void, number, void> {
  const { codec, rows, packed } = part;
  for (let lo = 0; lo < rows.length; lo += CHUNK_ELEMENTS) {
    const hi = Math.min(rows.length, lo + CHUNK_ELEMENTS);
    for (let i = lo; i < hi; i++) {
      const p = packed.size === 0 ? undefined : packed.get(i);
      if (p === undefined) {
        at = codec.write(out, at, rows[i]);
      } else {
        out.bytes.set(p, at);
        at += p.byteLength;
      }
    }
    yield;
  }
  return at;
}

/** A part packed by msgpackr is a view of its shared buffer: copied out, in steps. */
function* copyPart(out: MsgpackOut, at: number, p: Uint8Array): Generator<void, number, void> {
  for (let from = 0; from < p.byteLength; from += COPY_STEP_BYTES) {
    const piece = p.subarray(from, Math.min(p.byteLength, from + COPY_STEP_BYTES));
    out.bytes.set(piece, at);
    at += piece.byteLength;
    if (piece.byteLength === COPY_STEP_BYTES) yield;
  }
  return at;
}

/** msgpack's shortest array header, which msgpackr writes. */
function arrayHeader(length: number): Uint8Array {
  const out = msgpackOut(Buffer.alloc(arrayHeaderBytes(length)));
  writeArrayHeader(out, 0, length);
  return out.bytes;
}

class Slicer {
  private readonly yieldFn: () => Promise<void>;
  private readonly sliceMs: number;
  private since = performance.now();

  constructor(options: SliceOptions) {
    this.yieldFn = options.yield ?? (() => new Promise<void>((resolve) => setImmediate(resolve)));
    this.sliceMs = options.sliceMs ?? SLICE_MS_DEFAULT;
  }

  async maybeYield(): Promise<void> {
    if (performance.now() - this.since < this.sliceMs) return;
    await this.yieldFn();
    this.since = performance.now();
  }
}

export function decodeSnapshot(bytes: Uint8Array): SnapshotContents {
  let raw: unknown;
  try {
    raw = packr.unpack(bytes);
  } catch (err) {
    throw new SnapshotFormatError(`snapshot is not msgpack: ${String(err)}`);
  }
  const body = record(raw, 'snapshot');
  const kv = array(body['kv'], 'kv').map((e) => kvEntry(e));
  const kvIndex = uint(body['kvIndex'], 'kvIndex');
  if (body['version'] === 1) {
    return {
      kvIndex,
      kv,
      membersIndex: 0,
      members: [],
      clusterId: null,
      eventBase: GENESIS,
      events: [],
    };
  }
  if (body['version'] !== SNAPSHOT_VERSION) {
    throw new SnapshotFormatError(`snapshot version ${String(body['version'])} is not supported`);
  }
  const clusterId = body['clusterId'];
  if (clusterId !== null && typeof clusterId !== 'string') fail('clusterId', 'string or null');
  return {
    kvIndex,
    kv,
    membersIndex: uint(body['membersIndex'], 'membersIndex'),
    members: array(body['members'], 'members').map((m, i) => memberRow(m, `members[${i}]`)),
    clusterId,
    eventBase: chainBase(body['eventBase']),
    events: array(body['events'], 'events').map((e, i) => chainEvent(e, `events[${i}]`)),
  };
}

function kvEntry(raw: unknown): KvEntry {
  const e = record(raw, 'kv entry');
  const value = e['value'];
  if (!(value instanceof Uint8Array)) fail('kv.value', 'bytes');
  return {
    key: str(e['key'], 'kv.key'),
    value: new Uint8Array(value),
    flags: uint(e['flags'], 'kv.flags'),
    createIndex: uint(e['createIndex'], 'kv.createIndex'),
    modifyIndex: uint(e['modifyIndex'], 'kv.modifyIndex'),
    lockIndex: uint(e['lockIndex'], 'kv.lockIndex'),
  };
}

function memberRow(raw: unknown, where: string): MemberRow {
  const r = record(raw, where);
  // The same checks as a member.upsert command, so a restored row is one apply could make.
  let c: Command;
  try {
    c = validateCommand({ ...r, t: 'member.upsert' });
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    throw new SnapshotFormatError(`snapshot field ${where}.${err.field}: ${err.message}`);
  }
  if (c.t !== 'member.upsert') throw new SnapshotFormatError(`${where} is not a member row`);
  return {
    id: c.id,
    raftAddr: c.raftAddr,
    httpAddr: c.httpAddr,
    gossipAddr: c.gossipAddr,
    tags: c.tags,
    cpuFreeMilli: c.cpuFreeMilli,
    memFreeBytes: c.memFreeBytes,
    status: c.status,
    createIndex: uint(r['createIndex'], `${where}.createIndex`),
    modifyIndex: uint(r['modifyIndex'], `${where}.modifyIndex`),
    updatedAt: uint(r['updatedAt'], `${where}.updatedAt`),
  };
}

function chainBase(raw: unknown): ChainBase {
  const b = record(raw, 'eventBase');
  return {
    hash: str(b['hash'], 'eventBase.hash'),
    index: uint(b['index'], 'eventBase.index'),
    time: uint(b['time'], 'eventBase.time'),
    length: uint(b['length'], 'eventBase.length'),
  };
}

/** Shape only: the hashes are kept as stored, and verify() judges them. */
function chainEvent(raw: unknown, where: string): ChainEvent {
  const e = record(raw, where);
  return {
    index: uint(e['index'], `${where}.index`),
    term: uint(e['term'], `${where}.term`),
    time: uint(e['time'], `${where}.time`),
    type: str(e['type'], `${where}.type`) as ChainEvent['type'],
    subject: str(e['subject'], `${where}.subject`),
    data: record(e['data'], `${where}.data`) as EventData,
    prev: str(e['prev'], `${where}.prev`),
    hash: str(e['hash'], `${where}.hash`),
  };
}

function fail(field: string, expected: string): never {
  throw new SnapshotFormatError(`snapshot field ${field}: expected ${expected}`);
}

function record(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) {
    fail(field, 'a map');
  }
  return v as Record<string, unknown>;
}

function array(v: unknown, field: string): unknown[] {
  if (!Array.isArray(v)) fail(field, 'an array');
  return v as unknown[];
}

function str(v: unknown, field: string): string {
  if (typeof v !== 'string') fail(field, 'a string');
  return v;
}

function uint(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    fail(field, 'a non-negative integer');
  }
  return v;
}
