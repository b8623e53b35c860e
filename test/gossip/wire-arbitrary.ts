// fast-check generators of GossipMessages within each Go field's range (shared by wire tests).
import fc from 'fast-check';
import type { GossipMessage, PushNodeState } from '../../src/gossip/messages.ts';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const name = fc.string({ maxLength: 40 });
const ip = fc.oneof(
  fc.uint8Array({ minLength: 4, maxLength: 4 }),
  fc.uint8Array({ minLength: 16, maxLength: 16 }),
);
const bytes = (max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength: max });
const vsn = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 });
/** fc.record's objects have a null prototype; messages decode to plain objects. */
function rec<T extends Record<string, unknown>>(model: {
  [K in keyof T]: fc.Arbitrary<T[K]>;
}): fc.Arbitrary<T> {
  return fc.record(model).map((o) => ({ ...o }));
}
const state = fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const);

/** Optional omitempty fields: absent, or present and non-empty (as decoding yields them). */
function optional<T>(arb: fc.Arbitrary<T>, empty: (v: T) => boolean): fc.Arbitrary<T | undefined> {
  return fc.option(
    arb.filter((v) => !empty(v)),
    { nil: undefined },
  );
}

function withOptional<T extends object>(base: T, opt: Record<string, unknown>): T {
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(opt)) if (v !== undefined) extra[k] = v;
  return { ...base, ...extra };
}

export const pushNodeStateArb: fc.Arbitrary<PushNodeState> = rec({
  Name: name,
  Addr: ip,
  Port: u16,
  Meta: bytes(64),
  Incarnation: u32,
  State: state,
  Vsn: vsn,
});

export const packetMessageArb: fc.Arbitrary<GossipMessage> = fc.oneof(
  fc
    .tuple(
      rec({ SeqNo: u32, Node: name }),
      optional(ip, (v) => v.length === 0),
      optional(u16, (v) => v === 0),
      optional(name, (v) => v === ''),
    )
    .map(([b, SourceAddr, SourcePort, SourceNode]) => ({
      type: 'ping' as const,
      body: withOptional(b, { SourceAddr, SourcePort, SourceNode }),
    })),
  fc
    .tuple(
      rec({ SeqNo: u32, Target: ip, Port: u16, Node: name, Nack: fc.boolean() }),
      optional(ip, (v) => v.length === 0),
      optional(u16, (v) => v === 0),
      optional(name, (v) => v === ''),
    )
    .map(([b, SourceAddr, SourcePort, SourceNode]) => ({
      type: 'indirectPing' as const,
      body: withOptional(b, { SourceAddr, SourcePort, SourceNode }),
    })),
  rec({ SeqNo: u32, Payload: bytes(100) }).map((body) => ({ type: 'ackResp' as const, body })),
  rec({ SeqNo: u32 }).map((body) => ({ type: 'nackResp' as const, body })),
  rec({ Error: fc.string({ maxLength: 80 }) }).map((body) => ({ type: 'err' as const, body })),
  rec({ Incarnation: u32, Node: name, From: name }).map((body) => ({
    type: 'suspect' as const,
    body,
  })),
  rec({ Incarnation: u32, Node: name, Addr: ip, Port: u16, Meta: bytes(512), Vsn: vsn }).map(
    (body) => ({ type: 'alive' as const, body }),
  ),
  rec({ Incarnation: u32, Node: name, From: name }).map((body) => ({
    type: 'dead' as const,
    body,
  })),
  bytes(200).map((body) => ({ type: 'user' as const, body })),
);

export const pushPullArb: fc.Arbitrary<GossipMessage> = rec({
  join: fc.boolean(),
  nodes: fc.array(pushNodeStateArb, { maxLength: 20 }),
  userState: bytes(300),
}).map(({ join, nodes, userState }) => ({
  type: 'pushPull' as const,
  body: {
    header: { Nodes: nodes.length, UserStateLen: userState.length, Join: join },
    nodes,
    userState,
  },
}));
