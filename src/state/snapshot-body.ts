// The snapshot of the whole management database, msgpack-encoded (no records extension).
// Version 2 holds the key-value table, the members table, the cluster id and the event log
// (retained events plus the chain base). Version 1 (key-value only) still restores: it starts
// with no members, no cluster id and an empty chain. A snapshot is data from disk or the wire,
// so its shape is checked before anything is replaced.
import { Packr } from 'msgpackr';
import { CommandError, validateCommand, type Command } from './commands.ts';
import type { ChainBase, ChainEvent, EventData } from './event-log.ts';
import { GENESIS } from './event-log.ts';
import type { KvEntry } from './kv-table.ts';
import type { MemberRow } from './members-table.ts';

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
  const body: BodyV2 = { version: SNAPSHOT_VERSION, lastApplied, ...c };
  return packr.pack(body);
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
