// Helpers for the paper-style tests: a RaftNode driven by hand (step hand-built messages, read
// back its Ready) and finer-grained delivery control for the scripted Cluster in harness.ts.
import assert from 'node:assert/strict';
import {
  defaultRaftOptions,
  MemoryStorage,
  RaftError,
  RaftNode,
  type Config,
  type Entry,
  type HardState,
  type Message,
  type RaftErrorCode,
  type RaftNodeOptions,
  type Ready,
} from '../../src/raft/index.ts';
import type { Cluster, TestNode } from './harness.ts';

/** The message interface whose `type` admits T (VoteRequest covers both 'vote' and 'preVote'). */
export type MsgOf<T extends Message['type']> = Message extends infer M
  ? M extends Message
    ? T extends M['type']
      ? M
      : never
    : never
  : never;
type Payload<T extends Message['type']> = Omit<MsgOf<T>, 'type'>;

/** Options with a fixed randomness: the election timeout is exactly electionTicks + `jitter`. */
export function opts(id: string, over: Partial<RaftNodeOptions> = {}, jitter = 0): RaftNodeOptions {
  return { ...defaultRaftOptions, id, random: { int: (n) => Math.min(jitter, n - 1) }, ...over };
}

export function voters(...ids: string[]): Config {
  return { voters: ids, learners: [] };
}

/** A log whose entry i+1 has term `terms[i]`; the payload names index and term. */
export function log(...terms: number[]): Entry[] {
  return terms.map((term, i) => normal(i + 1, term));
}

export function normal(index: number, term: number, data = `${index}@${term}`): Entry {
  return { type: 'normal', index, term, data: new TextEncoder().encode(data) };
}

export function termsOf(entries: readonly Entry[]): number[] {
  return entries.map((e) => e.term);
}

/** A MemoryStorage holding a given hard state and log, as if a node had persisted them. */
export function storageWith(
  config: Config,
  hard: Partial<HardState> = {},
  entries: readonly Entry[] = [],
): MemoryStorage {
  const s = new MemoryStorage(config);
  s.append(entries);
  s.setHardState({ term: 0, vote: null, commit: 0, ...hard });
  return s;
}

export interface Direct {
  readonly raft: RaftNode;
  readonly storage: MemoryStorage;
}

/** A node built from a prefilled storage, not attached to any network; timeout T + jitter. */
export function direct(
  id: string,
  config: Config,
  hard: Partial<HardState> = {},
  entries: readonly Entry[] = [],
  over: Partial<RaftNodeOptions> = {},
  jitter = 0,
): Direct {
  const storage = storageWith(config, hard, entries);
  return { raft: new RaftNode(opts(id, over, jitter), storage.initialState()), storage };
}

/** Handles one Ready like a driver (persist, then advance) and returns it; null if none. */
export function drain(n: Direct): Ready | null {
  if (!n.raft.hasReady()) return null;
  const rd = n.raft.ready();
  if (rd.snapshot !== null) n.storage.saveSnapshot(rd.snapshot, true);
  n.storage.append(rd.entries);
  if (rd.hardState !== null) n.storage.setHardState(rd.hardState);
  n.raft.advance();
  return rd;
}

/** Handles Ready values until there is none (a leader commits its own entries once persisted). */
export function drainAll(n: Direct): Ready[] {
  const all: Ready[] = [];
  for (let rd = drain(n); rd !== null; rd = drain(n)) all.push(rd);
  return all;
}

/** The messages of the pending Ready (empty when there is none). */
export function out(n: Direct): Message[] {
  return [...(drain(n)?.messages ?? [])];
}

/** Steps a message addressed to `n`, filling in `to`; `from` and `term` are required. */
export function send<T extends Message['type']>(
  n: Direct,
  type: T,
  m: Omit<Payload<T>, 'to'>,
): void {
  n.raft.step({ ...m, type, to: n.raft.id } as Message);
}

/** Calls tick() `times` times. */
export function ticks(n: Direct, times: number): void {
  for (let i = 0; i < times; i++) n.raft.tick();
}

/** Campaigns and feeds granted (pre)votes from `grantors`; the node must end up leader. */
export function elect(n: Direct, grantors: readonly string[]): void {
  n.raft.campaign();
  const pre = n.raft.status().term + 1;
  for (const from of grantors) send(n, 'preVoteResp', { from, term: pre, granted: true });
  const term = n.raft.status().term;
  for (const from of grantors) send(n, 'voteResp', { from, term, granted: true });
  assert.equal(n.raft.status().role, 'leader');
}

export function ofType<T extends Message['type']>(msgs: readonly Message[], type: T): MsgOf<T>[] {
  return msgs.filter((m): m is MsgOf<T> => m.type === type);
}

/** Asserts `fn` throws a RaftError with the given code; returns it for further checks. */
export function raftError(fn: () => unknown, code: RaftErrorCode): RaftError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof RaftError, `expected RaftError ${code}, got ${String(e)}`);
    assert.equal(e.code, code);
    return e;
  }
  assert.fail(`expected RaftError ${code}, nothing was thrown`);
}

// ---- Cluster extensions --------------------------------------------------------------------------

/**
 * Delivers queued messages one at a time (FIFO) until the network is quiet. Messages for which
 * `drop` is true are lost; `after` runs once each delivered message has been stepped.
 */
export function pump(
  c: Cluster,
  hooks: { drop?: (m: Message) => boolean; after?: (m: Message) => void } = {},
  maxSteps = 100_000,
): void {
  for (let i = 0; i < maxSteps; i++) {
    c.drainReadies();
    const m = c.queue.shift();
    if (m === undefined) return;
    if (c.cut.has(`${m.from}->${m.to}`) || hooks.drop?.(m) === true) continue;
    const target = c.nodes.get(m.to);
    if (target === undefined) continue;
    target.raft.step(m);
    hooks.after?.(m);
  }
  throw new Error('network did not quiet down');
}

/** Ticks every node once per round, pumping with `hooks` in between. */
export function tickWith(
  c: Cluster,
  times: number,
  hooks: { drop?: (m: Message) => boolean; after?: (m: Message) => void } = {},
): void {
  for (let i = 0; i < times; i++) {
    for (const n of c.nodes.values()) n.raft.tick();
    pump(c, hooks);
  }
}

/** The application takes a snapshot at `index` and compacts its log and storage behind it. */
export function snapshotAndCompact(n: TestNode, index: number, data: Uint8Array): void {
  const snap = n.raft.createSnapshot(index, data);
  n.storage.saveSnapshot(snap, false);
  n.raft.compact(index);
  n.storage.compact(index);
}

/** Messages of `type` in the cluster trace, optionally filtered. */
export function traced<T extends Message['type']>(
  c: Cluster,
  type: T,
  where: (m: MsgOf<T>) => boolean = () => true,
): MsgOf<T>[] {
  return ofType(c.trace, type).filter(where);
}

/** A follower's successful answer, in term 2, up to `index`. */
export function ackAt(n: Direct, from: string, index: number): void {
  send(n, 'appResp', { from, term: 2, success: true, index, hintIndex: 0, hintTerm: 0 });
}

/** n1 leading n1..n3 in term 2, its no-op (index 1) committed and replicated to both. */
export function term2Leader(): Direct {
  const n = direct('n1', voters('n1', 'n2', 'n3'), { term: 1 });
  elect(n, ['n2']);
  drain(n);
  ackAt(n, 'n2', 1);
  ackAt(n, 'n3', 1);
  drain(n);
  drain(n);
  if (n.raft.status().commit !== 1) throw new Error('term2Leader: the no-op did not commit');
  return n;
}
