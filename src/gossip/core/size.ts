// Conservative estimates of encoded sizes, for budgeting piggybacked broadcasts into one UDP
// packet. They follow memberlist's encoding (a type byte, then a msgpack map keyed by Go field
// names): integers in their smallest form, strings and bytes with the widest header the old
// msgpack spec Go's codec speaks may use, and every omitempty field counted when present.
import type { GossipMessage, PushNodeState } from '../messages.ts';

/** memberlist's assumed compound header (type byte + count) and per-part length prefix. */
export const compoundHeaderOverhead = 2;
export const compoundOverhead = 2;
/** A compound message counts its parts in one byte. */
export const maxCompoundParts = 255;

export type SizeOf = (msg: GossipMessage) => number;

export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

const key = (name: string): number => 1 + name.length;
/** An unsigned integer in its smallest msgpack form. */
const uint = (v: number): number => (v < 128 ? 1 : v < 256 ? 2 : v < 65536 ? 3 : 5);
/** Old-spec raw header (what Go's codec writes for strings and bytes): 1, 3 or 5 bytes. */
const lenHeader = (len: number): number => (len < 32 ? 1 : len <= 0xffff ? 3 : 5);
const str = (s: string): number => {
  const n = utf8Length(s);
  return lenHeader(n) + n;
};
const bin = (b: Uint8Array): number => lenHeader(b.length) + b.length;
/** Vsn is a Go []uint8, which Go encodes as raw bytes. */
const vsn = (v: readonly number[]): number => lenHeader(v.length) + v.length;

function optional(name: string, present: boolean, size: number): number {
  return present ? key(name) + size : 0;
}

function source(b: {
  readonly SourceAddr?: Uint8Array;
  readonly SourcePort?: number;
  readonly SourceNode?: string;
}): number {
  return (
    optional('SourceAddr', b.SourceAddr !== undefined, b.SourceAddr ? bin(b.SourceAddr) : 0) +
    optional('SourcePort', b.SourcePort !== undefined, uint(b.SourcePort ?? 0)) +
    optional('SourceNode', b.SourceNode !== undefined, b.SourceNode ? str(b.SourceNode) : 0)
  );
}

function nodeStateSize(n: PushNodeState): number {
  const who = key('Name') + str(n.Name) + key('Incarnation') + uint(n.Incarnation);
  const where = key('Addr') + bin(n.Addr) + key('Port') + uint(n.Port);
  const what = key('Meta') + bin(n.Meta) + key('State') + uint(n.State) + key('Vsn') + vsn(n.Vsn);
  return 1 + who + where + what;
}

/** The type byte and map header, then `SeqNo`. */
const seqHead = (seq: number): number => 2 + key('SeqNo') + uint(seq);

/** Upper bound of one message's encoded length, type byte included. */
export function estimateSize(msg: GossipMessage): number {
  switch (msg.type) {
    case 'ping':
      return seqHead(msg.body.SeqNo) + key('Node') + str(msg.body.Node) + source(msg.body);
    case 'indirectPing': {
      const b = msg.body;
      const target = key('Target') + bin(b.Target) + key('Port') + uint(b.Port);
      return seqHead(b.SeqNo) + target + key('Node') + str(b.Node) + key('Nack') + 1 + source(b);
    }
    case 'ackResp':
      return seqHead(msg.body.SeqNo) + key('Payload') + bin(msg.body.Payload);
    case 'nackResp':
      return seqHead(msg.body.SeqNo);
    case 'err':
      return 2 + key('Error') + str(msg.body.Error);
    case 'suspect':
    case 'dead': {
      const b = msg.body;
      const who = key('Incarnation') + uint(b.Incarnation) + key('Node') + str(b.Node);
      return 2 + who + key('From') + str(b.From);
    }
    case 'alive': {
      const b = msg.body;
      const who = key('Incarnation') + uint(b.Incarnation) + key('Node') + str(b.Node);
      const where = key('Addr') + bin(b.Addr) + key('Port') + uint(b.Port);
      return 2 + who + where + key('Meta') + bin(b.Meta) + key('Vsn') + vsn(b.Vsn);
    }
    case 'user':
      return 1 + msg.body.length;
    case 'pushPull': {
      const h = msg.body.header;
      let n = 2 + key('Nodes') + uint(h.Nodes) + key('UserStateLen') + uint(h.UserStateLen);
      n += key('Join') + 1;
      for (const s of msg.body.nodes) n += nodeStateSize(s);
      return n + msg.body.userState.length;
    }
  }
}

/** Bytes of one UDP packet carrying `msgs` (a compound message when there are several). */
export function packetSize(msgs: readonly GossipMessage[], sizeOf: SizeOf): number {
  if (msgs.length === 1 && msgs[0] !== undefined) return sizeOf(msgs[0]);
  let n = compoundHeaderOverhead;
  for (const m of msgs) n += compoundOverhead + sizeOf(m);
  return n;
}
