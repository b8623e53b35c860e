// Gossip messages as plain data, one type per HashiCorp memberlist message (protocol 2-5).
// Field names are Go's exported names, exactly as memberlist's msgpack encoding spells them,
// so the wire codec can map these objects to and from Go's encoding field by field. Byte
// fields are Uint8Array; numbers are non-negative integers within the Go type's range.

/** memberlist's messageType byte, in Go's iota order. */
export const MessageType = {
  ping: 0,
  indirectPing: 1,
  ackResp: 2,
  suspect: 3,
  alive: 4,
  dead: 5,
  pushPull: 6,
  compound: 7,
  user: 8,
  compress: 9,
  encrypt: 10,
  nackResp: 11,
  hasCrc: 12,
  err: 13,
} as const;

/** memberlist's NodeStateType. */
export const NodeState = { alive: 0, suspect: 1, dead: 2, left: 3 } as const;
export type NodeStateValue = (typeof NodeState)[keyof typeof NodeState];

export interface Ping {
  readonly SeqNo: number; // uint32
  /** The intended target's name, so a restarted node under a new name does not answer. */
  readonly Node: string;
  readonly SourceAddr?: Uint8Array; // omitempty
  readonly SourcePort?: number; // uint16, omitempty
  readonly SourceNode?: string; // omitempty
}

export interface IndirectPing {
  readonly SeqNo: number;
  readonly Target: Uint8Array; // IP bytes (4 or 16)
  readonly Port: number;
  readonly Node: string;
  readonly Nack: boolean;
  readonly SourceAddr?: Uint8Array;
  readonly SourcePort?: number;
  readonly SourceNode?: string;
}

export interface AckResp {
  readonly SeqNo: number;
  readonly Payload: Uint8Array;
}

export interface NackResp {
  readonly SeqNo: number;
}

export interface ErrResp {
  readonly Error: string;
}

export interface Suspect {
  readonly Incarnation: number;
  readonly Node: string;
  readonly From: string;
}

export interface Alive {
  readonly Incarnation: number;
  readonly Node: string;
  readonly Addr: Uint8Array; // IP bytes (4 or 16)
  readonly Port: number;
  readonly Meta: Uint8Array; // at most 512 bytes (memberlist's MetaMaxSize)
  /** pmin, pmax, pcur, dmin, dmax, dcur */
  readonly Vsn: readonly number[];
}

export interface Dead {
  readonly Incarnation: number;
  readonly Node: string;
  /** Equal to Node for a graceful leave. */
  readonly From: string;
}

export interface PushPullHeader {
  readonly Nodes: number;
  readonly UserStateLen: number;
  readonly Join: boolean;
}

export interface PushNodeState {
  readonly Name: string;
  readonly Addr: Uint8Array;
  readonly Port: number;
  readonly Meta: Uint8Array;
  readonly Incarnation: number;
  readonly State: NodeStateValue;
  readonly Vsn: readonly number[];
}

/** A whole push/pull exchange (TCP): the header, every node's state, opaque user state. */
export interface PushPull {
  readonly header: PushPullHeader;
  readonly nodes: readonly PushNodeState[];
  readonly userState: Uint8Array;
}

/** One decoded gossip message (after CRC, decryption, decompression and compound unpacking). */
export type GossipMessage =
  | { readonly type: 'ping'; readonly body: Ping }
  | { readonly type: 'indirectPing'; readonly body: IndirectPing }
  | { readonly type: 'ackResp'; readonly body: AckResp }
  | { readonly type: 'nackResp'; readonly body: NackResp }
  | { readonly type: 'err'; readonly body: ErrResp }
  | { readonly type: 'suspect'; readonly body: Suspect }
  | { readonly type: 'alive'; readonly body: Alive }
  | { readonly type: 'dead'; readonly body: Dead }
  | { readonly type: 'user'; readonly body: Uint8Array }
  | { readonly type: 'pushPull'; readonly body: PushPull };

/** Where a node listens: memberlist identifies peers by IP bytes plus port. */
export interface GossipAddress {
  readonly host: string; // dotted IPv4 or IPv6 text
  readonly port: number;
}
