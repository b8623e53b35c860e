// memberlist 0.2.2's messages as go-msgpack encodes them: one messageType byte, then the struct
// as a msgpack map keyed by Go field name (sorted by name; omitempty fields left out when zero).
// Decoding follows go-msgpack's rules for a struct: unknown keys are skipped, missing keys and
// nil values leave Go's zero value, and a later duplicate key wins.
import {
  MessageType,
  type AckResp,
  type Alive,
  type Dead,
  type ErrResp,
  type GossipMessage,
  type IndirectPing,
  type NackResp,
  type NodeStateValue,
  type Ping,
  type PushNodeState,
  type PushPullHeader,
  type Suspect,
} from '../messages.ts';
import { GossipWireError } from './errors.ts';
import { MpFloat, MpMap, MpReader, MpWriter, utf8Decode, type MpValue } from './msgpack.ts';

/** memberlist's MetaMaxSize. */
export const META_MAX_SIZE = 512;

type FieldKind = 'u8' | 'u16' | 'u32' | 'int' | 'bool' | 'str' | 'bytes' | 'vsn' | 'state';

interface FieldSpec {
  readonly name: string;
  readonly kind: FieldKind;
  readonly omitEmpty: boolean;
}

type Schema = readonly FieldSpec[];

function schema(...fields: readonly (readonly [string, FieldKind, boolean?])[]): Schema {
  // go-msgpack writes struct maps in field-name order (it sorts by encoded name).
  return fields
    .map(([name, kind, omit]) => ({ name, kind, omitEmpty: omit === true }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export const SCHEMAS = {
  ping: schema(
    ['SeqNo', 'u32'],
    ['Node', 'str'],
    ['SourceAddr', 'bytes', true],
    ['SourcePort', 'u16', true],
    ['SourceNode', 'str', true],
  ),
  indirectPing: schema(
    ['SeqNo', 'u32'],
    ['Target', 'bytes'],
    ['Port', 'u16'],
    ['Node', 'str'],
    ['Nack', 'bool'],
    ['SourceAddr', 'bytes', true],
    ['SourcePort', 'u16', true],
    ['SourceNode', 'str', true],
  ),
  ackResp: schema(['SeqNo', 'u32'], ['Payload', 'bytes']),
  nackResp: schema(['SeqNo', 'u32']),
  err: schema(['Error', 'str']),
  suspect: schema(['Incarnation', 'u32'], ['Node', 'str'], ['From', 'str']),
  alive: schema(
    ['Incarnation', 'u32'],
    ['Node', 'str'],
    ['Addr', 'bytes'],
    ['Port', 'u16'],
    ['Meta', 'bytes'],
    ['Vsn', 'vsn'],
  ),
  dead: schema(['Incarnation', 'u32'], ['Node', 'str'], ['From', 'str']),
  pushPullHeader: schema(['Nodes', 'int'], ['UserStateLen', 'int'], ['Join', 'bool']),
  userMsgHeader: schema(['UserMsgLen', 'int']),
  pushNodeState: schema(
    ['Name', 'str'],
    ['Addr', 'bytes'],
    ['Port', 'u16'],
    ['Meta', 'bytes'],
    ['Incarnation', 'u32'],
    ['State', 'state'],
    ['Vsn', 'vsn'],
  ),
  compress: schema(['Algo', 'u8'], ['Buf', 'bytes']),
} as const satisfies Record<string, Schema>;

export type SchemaName = keyof typeof SCHEMAS;

const EMPTY = new Uint8Array(0);

type FieldValue = number | boolean | string | Uint8Array | readonly number[];

function isEmpty(v: FieldValue | undefined): boolean {
  if (v === undefined) return true;
  if (typeof v === 'number') return v === 0;
  if (typeof v === 'boolean') return !v;
  if (typeof v === 'string') return v.length === 0;
  return v.length === 0;
}

const UINT_MAX: Record<'u8' | 'u16' | 'u32' | 'int' | 'state', number> = {
  u8: 0xff,
  u16: 0xffff,
  u32: 0xffffffff,
  int: Number.MAX_SAFE_INTEGER,
  state: 3,
};

function writeField(w: MpWriter, spec: FieldSpec, v: FieldValue | undefined, where: string): void {
  const field = `${where}.${spec.name}`;
  switch (spec.kind) {
    case 'u8':
    case 'u16':
    case 'u32':
    case 'int':
    case 'state': {
      const n = v === undefined ? 0 : v;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > UINT_MAX[spec.kind]) {
        throw new GossipWireError('invalid', `not a ${spec.kind}: ${String(n)}`, field);
      }
      w.uint(n);
      return;
    }
    case 'bool':
      w.bool(v === true);
      return;
    case 'str':
      if (v !== undefined && typeof v !== 'string') {
        throw new GossipWireError('invalid', 'not a string', field);
      }
      w.str(v ?? '');
      return;
    case 'bytes': {
      if (v !== undefined && !(v instanceof Uint8Array)) {
        throw new GossipWireError('invalid', 'not bytes', field);
      }
      // memberlist's own zero-length byte fields are nil slices (Meta without a delegate, an
      // ack's Payload), which go-msgpack writes as nil; so do we.
      if (v === undefined || v.length === 0) w.nil();
      else w.raw(v);
      return;
    }
    case 'vsn': {
      if (v === undefined) {
        w.nil();
        return;
      }
      if (typeof v !== 'object') throw new GossipWireError('invalid', 'not a version list', field);
      const bytes = Uint8Array.from(v as ArrayLike<number>);
      for (let i = 0; i < bytes.length; i++) {
        const x = (v as ArrayLike<number>)[i];
        if (x === undefined || !Number.isInteger(x) || x < 0 || x > 0xff) {
          throw new GossipWireError('invalid', `version ${String(x)} is not a uint8`, field);
        }
      }
      // []uint8 is []byte in Go: a raw string, not an array of integers.
      w.raw(bytes);
      return;
    }
  }
}

/** Encodes a struct body (no type byte) exactly as go-msgpack does. */
export function encodeStruct(
  name: SchemaName,
  value: Readonly<Record<string, FieldValue | undefined>>,
  w: MpWriter = new MpWriter(),
): MpWriter {
  const specs = SCHEMAS[name];
  const present = specs.filter((s) => !(s.omitEmpty && isEmpty(value[s.name])));
  w.mapHeader(present.length);
  for (const spec of present) {
    w.str(spec.name);
    writeField(w, spec, value[spec.name], name);
  }
  return w;
}

function zeroOf(kind: FieldKind): FieldValue {
  switch (kind) {
    case 'bool':
      return false;
    case 'str':
      return '';
    case 'bytes':
      return EMPTY;
    case 'vsn':
      return [];
    default:
      return 0;
  }
}

function readUint(v: MpValue, kind: 'u8' | 'u16' | 'u32' | 'int' | 'state', field: string): number {
  if (v === null) return 0;
  if (typeof v === 'number') {
    if (v < 0 || v > UINT_MAX[kind]) {
      throw new GossipWireError('range', `${String(v)} does not fit ${kind}`, field);
    }
    return v;
  }
  if (typeof v === 'bigint') throw new GossipWireError('range', `${v} is too large`, field);
  if (v instanceof MpFloat) throw new GossipWireError('type', 'float for an integer', field);
  throw new GossipWireError('type', 'expected an integer', field);
}

function readField(spec: FieldSpec, v: MpValue, field: string): FieldValue {
  switch (spec.kind) {
    case 'u8':
    case 'u16':
    case 'u32':
    case 'int':
    case 'state':
      return readUint(v, spec.kind, field);
    case 'bool':
      if (v === null) return false;
      if (typeof v === 'boolean') return v;
      // go-msgpack also accepts an integer for a bool (non-zero is true).
      if (typeof v === 'number') return v !== 0;
      throw new GossipWireError('type', 'expected a bool', field);
    case 'str':
      if (v === null) return '';
      if (v instanceof Uint8Array) return utf8Decode(v);
      throw new GossipWireError('type', 'expected a string', field);
    case 'bytes':
      if (v === null) return EMPTY;
      if (v instanceof Uint8Array) return v.slice();
      if (Array.isArray(v)) return Uint8Array.from(readByteArray(v, field));
      throw new GossipWireError('type', 'expected bytes', field);
    case 'vsn':
      if (v === null) return [];
      if (v instanceof Uint8Array) return Array.from(v);
      if (Array.isArray(v)) return readByteArray(v, field);
      throw new GossipWireError('type', 'expected a version list', field);
  }
}

function readByteArray(v: readonly MpValue[], field: string): number[] {
  return v.map((x) => readUint(x, 'u8', field));
}

/** Decodes a struct from one msgpack value: a map by field name, or an array in field order. */
export function decodeStructValue(name: SchemaName, v: MpValue): Record<string, FieldValue> {
  const specs = SCHEMAS[name];
  const out: Record<string, FieldValue> = {};
  for (const s of specs) out[s.name] = zeroOf(s.kind);
  if (v instanceof MpMap) {
    for (const [k, val] of v.entries) {
      if (!(k instanceof Uint8Array)) {
        throw new GossipWireError('type', 'a struct key is not a string', name);
      }
      const key = utf8Decode(k);
      const spec = specs.find((s) => s.name === key);
      if (spec === undefined) continue; // go-msgpack skips unknown keys
      out[spec.name] = readField(spec, val, `${name}.${spec.name}`);
    }
    return out;
  }
  if (Array.isArray(v)) {
    // go-msgpack's toArray form uses declaration order; memberlist never sends it, and our
    // schemas keep only the sorted order, so an array is not accepted.
    throw new GossipWireError('type', 'expected a map (struct) but got an array', name);
  }
  throw new GossipWireError('type', 'expected a map (struct)', name);
}

export function decodeStruct(name: SchemaName, r: MpReader): Record<string, FieldValue> {
  return decodeStructValue(name, r.read());
}

// ---- typed accessors on a decoded record (the schema guarantees each kind) ----

function num(r: Record<string, FieldValue>, k: string): number {
  const v = r[k];
  return typeof v === 'number' ? v : 0;
}
function str(r: Record<string, FieldValue>, k: string): string {
  const v = r[k];
  return typeof v === 'string' ? v : '';
}
function bytes(r: Record<string, FieldValue>, k: string): Uint8Array {
  const v = r[k];
  return v instanceof Uint8Array ? v : EMPTY;
}
function bool(r: Record<string, FieldValue>, k: string): boolean {
  return r[k] === true;
}
function vsn(r: Record<string, FieldValue>, k: string): number[] {
  const v = r[k];
  return Array.isArray(v) ? [...(v as readonly number[])] : [];
}

interface SourceFields {
  SourceAddr?: Uint8Array;
  SourcePort?: number;
  SourceNode?: string;
}

/** Adds the source fields a ping may carry; Go omits each when empty (omitempty). */
function withSource<T extends SourceFields>(base: T, r: Record<string, FieldValue>): T {
  const sa = bytes(r, 'SourceAddr');
  if (sa.length > 0) base.SourceAddr = sa;
  const sp = num(r, 'SourcePort');
  if (sp > 0) base.SourcePort = sp;
  const sn = str(r, 'SourceNode');
  if (sn !== '') base.SourceNode = sn;
  return base;
}

function toPing(r: Record<string, FieldValue>): Ping {
  const base: { -readonly [K in keyof Ping]: Ping[K] } = {
    SeqNo: num(r, 'SeqNo'),
    Node: str(r, 'Node'),
  };
  return withSource(base, r);
}

function toIndirectPing(r: Record<string, FieldValue>): IndirectPing {
  const base: { -readonly [K in keyof IndirectPing]: IndirectPing[K] } = {
    SeqNo: num(r, 'SeqNo'),
    Target: bytes(r, 'Target'),
    Port: num(r, 'Port'),
    Node: str(r, 'Node'),
    Nack: bool(r, 'Nack'),
  };
  return withSource(base, r);
}

export function toAlive(r: Record<string, FieldValue>): Alive {
  return {
    Incarnation: num(r, 'Incarnation'),
    Node: str(r, 'Node'),
    Addr: bytes(r, 'Addr'),
    Port: num(r, 'Port'),
    Meta: bytes(r, 'Meta'),
    Vsn: vsn(r, 'Vsn'),
  };
}

export function toPushPullHeader(r: Record<string, FieldValue>): PushPullHeader {
  return { Nodes: num(r, 'Nodes'), UserStateLen: num(r, 'UserStateLen'), Join: bool(r, 'Join') };
}

export function toPushNodeState(r: Record<string, FieldValue>): PushNodeState {
  return {
    Name: str(r, 'Name'),
    Addr: bytes(r, 'Addr'),
    Port: num(r, 'Port'),
    Meta: bytes(r, 'Meta'),
    Incarnation: num(r, 'Incarnation'),
    State: num(r, 'State') as NodeStateValue,
    Vsn: vsn(r, 'Vsn'),
  };
}

/** Packet message types that carry one struct body (everything but user, compound, etc.). */
const STRUCT_TYPES = {
  [MessageType.ping]: 'ping',
  [MessageType.indirectPing]: 'indirectPing',
  [MessageType.ackResp]: 'ackResp',
  [MessageType.nackResp]: 'nackResp',
  [MessageType.err]: 'err',
  [MessageType.suspect]: 'suspect',
  [MessageType.alive]: 'alive',
  [MessageType.dead]: 'dead',
} as const;

type StructType = keyof typeof STRUCT_TYPES;

function isStructType(t: number): t is StructType {
  return Object.prototype.hasOwnProperty.call(STRUCT_TYPES, t);
}

/** Builds a GossipMessage from a decoded struct of the given message type. */
function structMessage(t: StructType, r: Record<string, FieldValue>): GossipMessage {
  switch (t) {
    case MessageType.ping:
      return { type: 'ping', body: toPing(r) };
    case MessageType.indirectPing:
      return { type: 'indirectPing', body: toIndirectPing(r) };
    case MessageType.ackResp:
      return { type: 'ackResp', body: { SeqNo: num(r, 'SeqNo'), Payload: bytes(r, 'Payload') } };
    case MessageType.nackResp:
      return { type: 'nackResp', body: { SeqNo: num(r, 'SeqNo') } };
    case MessageType.err:
      return { type: 'err', body: { Error: str(r, 'Error') } };
    case MessageType.suspect:
      return {
        type: 'suspect',
        body: { Incarnation: num(r, 'Incarnation'), Node: str(r, 'Node'), From: str(r, 'From') },
      };
    case MessageType.alive:
      return { type: 'alive', body: toAlive(r) };
    case MessageType.dead:
      return {
        type: 'dead',
        body: { Incarnation: num(r, 'Incarnation'), Node: str(r, 'Node'), From: str(r, 'From') },
      };
  }
}

/**
 * Decodes one packet message: [messageType][body]. Handles the struct messages and userMsg;
 * container types (compound, compress, hasCrc, encrypt) are the packet layer's business and
 * pushPull only travels on streams, so those are 'unknown-type' here.
 */
export function decodeMessage(buf: Uint8Array): GossipMessage {
  if (buf.length < 1) throw new GossipWireError('truncated', 'empty message');
  const t = buf[0] ?? 0;
  if (t === MessageType.user) return { type: 'user', body: buf.slice(1) };
  if (!isStructType(t)) {
    throw new GossipWireError('unknown-type', `message type ${String(t)} is not a packet message`);
  }
  const r = new MpReader(buf, 1);
  const rec = decodeStruct(STRUCT_TYPES[t], r);
  // Trailing bytes after the struct are ignored, as go-msgpack's Decode ignores them.
  return structMessage(t, rec);
}

/** Encodes a packet message: [messageType][body]. A pushPull is encoded in its stream form. */
export function encodeMessage(msg: GossipMessage): Uint8Array {
  const w = new MpWriter();
  switch (msg.type) {
    case 'ping':
      w.byte(MessageType.ping);
      encodeStruct('ping', { ...msg.body }, w);
      break;
    case 'indirectPing':
      w.byte(MessageType.indirectPing);
      encodeStruct('indirectPing', { ...msg.body }, w);
      break;
    case 'ackResp':
      w.byte(MessageType.ackResp);
      encodeStruct('ackResp', { ...msg.body } satisfies AckResp, w);
      break;
    case 'nackResp':
      w.byte(MessageType.nackResp);
      encodeStruct('nackResp', { ...msg.body } satisfies NackResp, w);
      break;
    case 'err':
      w.byte(MessageType.err);
      encodeStruct('err', { ...msg.body } satisfies ErrResp, w);
      break;
    case 'suspect':
      w.byte(MessageType.suspect);
      encodeStruct('suspect', { ...msg.body } satisfies Suspect, w);
      break;
    case 'alive':
      checkMeta(msg.body.Meta, 'alive.Meta');
      w.byte(MessageType.alive);
      encodeStruct('alive', { ...msg.body } satisfies Alive, w);
      break;
    case 'dead':
      w.byte(MessageType.dead);
      encodeStruct('dead', { ...msg.body } satisfies Dead, w);
      break;
    case 'user':
      w.byte(MessageType.user);
      w.bytes(msg.body);
      break;
    case 'pushPull': {
      const { nodes, userState, header } = msg.body;
      w.byte(MessageType.pushPull);
      encodeStruct(
        'pushPullHeader',
        { Nodes: nodes.length, UserStateLen: userState.length, Join: header.Join },
        w,
      );
      for (const n of nodes) {
        checkMeta(n.Meta, 'pushNodeState.Meta');
        encodeStruct('pushNodeState', { ...n } satisfies PushNodeState, w);
      }
      w.bytes(userState);
      break;
    }
  }
  return w.finish();
}

function checkMeta(meta: Uint8Array, field: string): void {
  if (meta.length > META_MAX_SIZE) {
    throw new GossipWireError(
      'invalid',
      `meta is ${String(meta.length)} bytes, over ${String(META_MAX_SIZE)}`,
      field,
    );
  }
}
