// Push/pull anti-entropy: our whole member table as one message, and memberlist's check that
// every node in both tables speaks protocol versions the whole (merged) cluster understands.
import { NodeState, type PushNodeState, type PushPull } from '../messages.ts';
import type { CoreContext } from './context.ts';
import { alivePushState } from './shared.ts';

export function localState(ctx: CoreContext, join: boolean): PushPull {
  const t = ctx.table;
  const nodes: PushNodeState[] = [];
  for (let i = 0; i < t.size; i++) {
    const n = t.slotAt(i);
    const info = t.info(n);
    const incarnation = t.incarnation(n);
    const state = t.state(n);
    // An alive member at its info's incarnation has one entry for all cores (shared.ts).
    nodes.push(
      state === NodeState.alive && incarnation === info.Incarnation
        ? alivePushState(info)
        : {
            Name: info.Node,
            Addr: info.Addr,
            Port: info.Port,
            Meta: info.Meta,
            Incarnation: incarnation,
            State: state,
            Vsn: info.Vsn,
          },
    );
  }
  return {
    header: { Nodes: nodes.length, UserStateLen: 0, Join: join },
    nodes,
    userState: new Uint8Array(0),
  };
}

interface Range {
  pmin: number;
  pmax: number;
  dmin: number;
  dmax: number;
}

function narrow(r: Range, v: readonly number[]): void {
  r.pmin = Math.max(r.pmin, v[0] ?? 0);
  r.pmax = Math.min(r.pmax, v[1] ?? 0);
  r.dmin = Math.max(r.dmin, v[3] ?? 0);
  r.dmax = Math.min(r.dmax, v[4] ?? 0);
}

function outside(r: Range, name: string, v: readonly number[]): string | null {
  const pcur = v[2] ?? 0;
  const dcur = v[5] ?? 0;
  if (pcur < r.pmin || pcur > r.pmax) {
    return `node '${name}' protocol version ${pcur} is incompatible: [${r.pmin}, ${r.pmax}]`;
  }
  if (dcur < r.dmin || dcur > r.dmax) {
    return `node '${name}' delegate protocol version ${dcur} is incompatible: [${r.dmin}, ${r.dmax}]`;
  }
  return null;
}

/**
 * The narrowest version range every alive node (ours and theirs) understands, then every
 * node's current versions checked against it. Returns an error text, or null when compatible.
 */
export function verifyProtocol(ctx: CoreContext, remote: readonly PushNodeState[]): string | null {
  const r: Range = { pmin: 0, pmax: 255, dmin: 0, dmax: 255 };
  for (const n of remote) {
    if (n.State === NodeState.alive && n.Vsn.length > 0) narrow(r, n.Vsn);
  }
  const t = ctx.table;
  for (let i = 0; i < t.size; i++) {
    const n = t.slotAt(i);
    if (t.state(n) === NodeState.alive) narrow(r, t.info(n).Vsn);
  }
  for (const n of remote) {
    const err =
      n.Vsn.length > 0 ? outside(r, n.Name, n.Vsn) : outside(r, n.Name, [0, 0, 0, 0, 0, 0]);
    if (err !== null) return err;
  }
  for (let i = 0; i < t.size; i++) {
    const info = t.info(t.slotAt(i));
    const err = outside(r, info.Node, info.Vsn);
    if (err !== null) return err;
  }
  return null;
}
