// Public value types of the gossip membership core: members, events and the outputs the shell
// (or the simulator) takes from drain(). Everything here is plain immutable data.
import type { GossipAddress, GossipMessage } from '../messages.ts';

/** Injected randomness, so a seed replays a run exactly. */
export interface Random {
  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
}

export type MemberState = 'alive' | 'suspect' | 'dead' | 'left';

/** A snapshot of what this node believes about one member (itself included). */
export interface Member {
  readonly name: string;
  readonly addr: GossipAddress;
  readonly meta: Uint8Array;
  readonly incarnation: number;
  readonly state: MemberState;
  /** The core's clock (nowMs) when the state last changed. */
  readonly stateChangeMs: number;
}

/**
 * Membership changes, in the order they happened. join: first seen, or back from dead/left.
 * update: meta changed. suspect: alive -> suspect. alive: a suspect member refuted the
 * suspicion (memberlist has no callback for this; it is here so a listener can mirror state).
 * fail: declared dead. leave: left gracefully.
 */
export type MemberEventType = 'join' | 'update' | 'suspect' | 'alive' | 'fail' | 'leave';

export interface MemberEvent {
  readonly type: MemberEventType;
  readonly member: Member;
}

/** One UDP packet: a single message, or several the wire layer packs as a compound message. */
export interface OutPacket {
  readonly to: GossipAddress;
  readonly msgs: GossipMessage[];
}

/** One TCP exchange to open: send `msg`, then report the answer with streamResult(id, ...). */
export interface OutStream {
  readonly id: number;
  readonly to: GossipAddress;
  readonly msg: GossipMessage;
}

export interface Drained {
  readonly packets: OutPacket[];
  readonly streams: OutStream[];
  readonly events: MemberEvent[];
}
