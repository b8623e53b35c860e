// Immutable per-member data shared between the cores of one process. An Alive body is never
// changed once made, so every core that learned the same news can hold that one object, and
// the objects derived from it (its GossipAddress, its broadcast message, its push/pull entry)
// can be made once per body rather than once per core. A simulator running thousands of cores
// in one process then keeps one copy of each member's name, address and meta instead of one
// per (node, member) pair. The caches are weak: they never keep a body alive.
import {
  NodeState,
  type Alive,
  type GossipAddress,
  type GossipMessage,
  type PushNodeState,
} from '../messages.ts';
import { bytesToHost } from './addr.ts';

interface CachedAddress {
  readonly port: number;
  readonly address: GossipAddress;
}

const addresses = new WeakMap<Uint8Array, CachedAddress>();
const messages = new WeakMap<Alive, GossipMessage>();
const pushStates = new WeakMap<Alive, PushNodeState>();
/** The reverse of pushStates: the body a push/pull entry was made from. */
const bodies = new WeakMap<PushNodeState, Alive>();

/** `addr` and `port` as a GossipAddress, one object per address bytes. */
export function addressFor(addr: Uint8Array, port: number): GossipAddress {
  const hit = addresses.get(addr);
  if (hit?.port === port) return hit.address;
  const address = { host: bytesToHost(addr) ?? '', port };
  addresses.set(addr, { port, address });
  return address;
}

/** The alive message carrying `body`. */
export function aliveMessage(body: Alive): GossipMessage {
  let m = messages.get(body);
  if (m === undefined) {
    m = { type: 'alive', body };
    messages.set(body, m);
  }
  return m;
}

/** The push/pull entry saying that `body`'s node is alive at `body.Incarnation`. */
export function alivePushState(body: Alive): PushNodeState {
  let s = pushStates.get(body);
  if (s === undefined) {
    s = {
      Name: body.Node,
      Addr: body.Addr,
      Port: body.Port,
      Meta: body.Meta,
      Incarnation: body.Incarnation,
      State: NodeState.alive,
      Vsn: body.Vsn,
    };
    pushStates.set(body, s);
    bodies.set(s, body);
  }
  return s;
}

/** The alive news in push/pull entry `s` (its State must be alive), as an Alive body. */
export function aliveOfPushState(s: PushNodeState): Alive {
  const known = bodies.get(s);
  if (known !== undefined) return known;
  const { Name: Node, Addr, Port, Meta, Vsn } = s;
  return { Incarnation: s.Incarnation, Node, Addr, Port, Meta, Vsn };
}
