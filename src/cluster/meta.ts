// What a Sappers agent says about itself in its gossip metadata, and its codec. memberlist
// refuses metadata over 512 bytes, so encoding always fits: tags that do not fit are dropped
// from the end (the result says how many), then the leader hint. Decoding is total: anything
// that is not our format (a plain memberlist peer, garbage) is null, never an exception.
import { freemem, loadavg, cpus } from 'node:os';
import { Packr } from 'msgpackr';

/** memberlist's MetaMaxSize. */
export const META_MAX_BYTES = 512;
export const META_VERSION = 1;
/** "SP" and a version byte: Consul's serf tags start with 0xff, plain meta with anything. */
const MAGIC_0 = 0x53;
const MAGIC_1 = 0x50;
const HEADER_BYTES = 3;

export interface AgentMeta {
  readonly nodeId: string;
  /** host:port other agents dial for Raft. */
  readonly raftAddr: string;
  /** host:port of the HTTP API. */
  readonly httpAddr: string;
  readonly tags: readonly string[];
  /** Free CPU in thousandths of a core (cores x 1000 minus the 1-minute load). */
  readonly cpuFreeMilli: number;
  readonly memFreeBytes: number;
  /** --bootstrap N until this agent has Raft state (advertisedBootstrapExpect), else 0. */
  readonly bootstrapExpect: number;
  /** DATA_DIR holds Raft state: this agent belongs to a cluster already. */
  readonly hasState: boolean;
  readonly clusterId: string | null;
  /** The Raft leader this agent knows of (a hint; omitted when the size limit bites). */
  readonly leaderId: string | null;
}

export interface EncodedMeta {
  readonly bytes: Uint8Array;
  /** Tags left out to stay within META_MAX_BYTES (0 normally). */
  readonly droppedTags: number;
  readonly droppedLeader: boolean;
}

const packr = new Packr({ useRecords: false, moreTypes: false });

function pack(m: AgentMeta): Uint8Array {
  const body = packr.pack({
    i: m.nodeId,
    r: m.raftAddr,
    h: m.httpAddr,
    t: m.tags,
    c: m.cpuFreeMilli,
    m: m.memFreeBytes,
    b: m.bootstrapExpect,
    s: m.hasState,
    k: m.clusterId,
    l: m.leaderId,
  });
  const out = new Uint8Array(HEADER_BYTES + body.byteLength);
  out[0] = MAGIC_0;
  out[1] = MAGIC_1;
  out[2] = META_VERSION;
  out.set(body, HEADER_BYTES);
  return out;
}

/** Encodes within META_MAX_BYTES; throws only if even the bare identity cannot fit. */
export function encodeMeta(m: AgentMeta): EncodedMeta {
  let tags = [...m.tags];
  let leaderId = m.leaderId;
  let bytes = pack(m);
  while (bytes.byteLength > META_MAX_BYTES && tags.length > 0) {
    tags = tags.slice(0, -1);
    bytes = pack({ ...m, tags, leaderId });
  }
  if (bytes.byteLength > META_MAX_BYTES && leaderId !== null) {
    leaderId = null;
    bytes = pack({ ...m, tags, leaderId });
  }
  if (bytes.byteLength > META_MAX_BYTES) {
    throw new RangeError(`gossip meta of ${bytes.byteLength} bytes exceeds ${META_MAX_BYTES}`);
  }
  return {
    bytes,
    droppedTags: m.tags.length - tags.length,
    droppedLeader: m.leaderId !== null && leaderId === null,
  };
}

const isUint = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isStr = (v: unknown, max: number): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= max;
const isOptStr = (v: unknown, max: number): v is string | null => v === null || isStr(v, max);

/** Our metadata, or null for anything else (foreign meta, garbage, a future version). */
export function decodeMeta(bytes: Uint8Array): AgentMeta | null {
  if (bytes.byteLength <= HEADER_BYTES || bytes.byteLength > META_MAX_BYTES) return null;
  if (bytes[0] !== MAGIC_0 || bytes[1] !== MAGIC_1 || bytes[2] !== META_VERSION) return null;
  let raw: unknown;
  try {
    raw = packr.unpack(bytes.subarray(HEADER_BYTES));
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const o = raw as Record<string, unknown>;
  const tags = o['t'];
  if (!Array.isArray(tags) || !tags.every((t) => isStr(t, 64))) return null;
  const [i, r, h, c, m, b, s, k, l] = ['i', 'r', 'h', 'c', 'm', 'b', 's', 'k', 'l'].map(
    (f) => o[f],
  );
  if (!isStr(i, 128) || !isStr(r, 300) || !isStr(h, 300)) return null;
  if (!isUint(c) || !isUint(m) || !isUint(b) || typeof s !== 'boolean') return null;
  if (!isOptStr(k, 128) || !isOptStr(l, 128)) return null;
  return {
    nodeId: i,
    raftAddr: r,
    httpAddr: h,
    tags,
    cpuFreeMilli: c,
    memFreeBytes: m,
    bootstrapExpect: b,
    hasState: s,
    clusterId: k,
    leaderId: l,
  };
}

/** Free resources, coarsened so that meta (and its incarnation) changes only on real moves. */
export function freeResources(): { cpuFreeMilli: number; memFreeBytes: number } {
  const cores = Math.max(1, cpus().length);
  const load = loadavg()[0] ?? 0;
  const cpuFree = Math.max(0, Math.round((cores - load) * 10)) * 100;
  const mibs64 = 64 * 1024 * 1024;
  return { cpuFreeMilli: cpuFree, memFreeBytes: Math.floor(freemem() / mibs64) * mibs64 };
}

/**
 * The bootstrapExpect an agent advertises: its --bootstrap N for as long as it has no Raft
 * state, also after deciding not to bootstrap while it waits to be added (bootstrap.ts's safety
 * argument counts on it: a flagged agent never looks unflagged), then 0.
 */
export function advertisedBootstrapExpect(flag: number, hasState: boolean): number {
  return hasState ? 0 : flag;
}
