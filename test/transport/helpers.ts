// Shared test tools: message generators, a log-capturing pino logger, and a bounded wait.
import fc from 'fast-check';
import { pino, type Logger } from 'pino';
import type { Message } from '../../src/raft/messages.ts';
import type { ConfChange, Config, Entry } from '../../src/raft/types.ts';

/** fc.record with ordinary prototypes: decoded messages are plain objects, deepEqual checks it. */
function rec<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true });
}

const uint = fc.oneof(fc.nat({ max: 1000 }), fc.maxSafeNat());
// Ids up to the 256-character bound, some of them non-ASCII (graphemes may be several units).
const id = fc.oneof(
  fc.string({ minLength: 1, maxLength: 256, unit: 'grapheme-ascii' }),
  fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme' }).filter((s) => s.length <= 256),
);
const bytes = fc.uint8Array({ maxLength: 64 });
const base = { from: id, to: id, term: uint };

// Member addresses are optional (absent, not undefined) in both Config and ConfChange.
const voters = { voters: fc.array(id, { maxLength: 5 }), learners: fc.array(id, { maxLength: 3 }) };
const addresses = fc.dictionary(id, fc.string(), { maxKeys: 4, noNullPrototype: true });
const config: fc.Arbitrary<Config> = fc.oneof(rec(voters), rec({ ...voters, addresses }));

const change: fc.Arbitrary<ConfChange> = fc.oneof(
  rec({ type: fc.constantFrom('addVoter', 'addLearner', 'promote', 'remove'), node: id }),
  rec({ type: fc.constantFrom('addVoter', 'addLearner'), node: id, address: fc.string() }),
);

const entry: fc.Arbitrary<Entry> = fc.oneof(
  rec({ type: fc.constant('normal'), term: uint, index: uint, data: bytes }),
  rec({ type: fc.constant('conf'), term: uint, index: uint, change, config }),
);

/** AppendEntries with `ids`, in the key order the core builds (spread, then from and term). */
export function appInCoreOrder(
  ids: fc.Arbitrary<string>,
  uints: fc.Arbitrary<number>,
  entries: fc.Arbitrary<Entry>,
): fc.Arbitrary<Message> {
  return fc
    .tuple(ids, ids, uints, uints, uints, uints, fc.array(entries, { maxLength: 24 }))
    .map(([from, to, term, prevIndex, prevTerm, commit, list]) => ({
      type: 'app',
      to,
      prevIndex,
      prevTerm,
      entries: list,
      commit,
      from,
      term,
    }));
}

/** Any valid Message, every type of the union. */
export const arbMessage: fc.Arbitrary<Message> = fc.oneof(
  rec({
    ...base,
    type: fc.constantFrom('vote', 'preVote'),
    lastIndex: uint,
    lastTerm: uint,
    force: fc.boolean(),
  }),
  rec({ ...base, type: fc.constantFrom('voteResp', 'preVoteResp'), granted: fc.boolean() }),
  rec({
    ...base,
    type: fc.constant('app'),
    prevIndex: uint,
    prevTerm: uint,
    entries: fc.array(entry, { maxLength: 4 }),
    commit: uint,
  }),
  rec({
    ...base,
    type: fc.constant('appResp'),
    success: fc.boolean(),
    index: uint,
    hintIndex: uint,
    hintTerm: uint,
  }),
  rec({ ...base, type: fc.constant('heartbeat'), commit: uint, readSeq: uint }),
  rec({ ...base, type: fc.constant('heartbeatResp'), readSeq: uint }),
  rec({
    ...base,
    type: fc.constant('snap'),
    meta: rec({ index: uint, term: uint, config }),
    offset: uint,
    totalBytes: uint,
    data: bytes,
    done: fc.boolean(),
  }),
  rec({
    ...base,
    type: fc.constant('snapResp'),
    snapIndex: uint,
    offset: uint,
    done: fc.boolean(),
  }),
  rec({ ...base, type: fc.constant('timeoutNow') }),
  rec({ ...base, type: fc.constant('readIndex'), context: fc.string() }),
  rec({ ...base, type: fc.constant('readIndexResp'), context: fc.string(), index: uint }),
);

/** An AppendEntries carrying one entry of `dataBytes`; `seq` orders them. */
export function appendMessage(from: string, to: string, seq: number, dataBytes = 16): Message {
  return {
    type: 'app',
    from,
    to,
    term: 1,
    prevIndex: seq,
    prevTerm: 1,
    entries: [{ type: 'normal', term: 1, index: seq + 1, data: new Uint8Array(dataBytes).fill(7) }],
    commit: seq,
  };
}

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

/** A pino logger that keeps its JSON lines in memory (pino writes to it synchronously). */
export function captureLogger(level = 'debug'): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = {
    write(s: string): void {
      lines.push(JSON.parse(s) as LogLine);
    },
  };
  return { logger: pino({ level }, stream), lines };
}

export const DEBUG = 20;
export const WARN = 40;

/** Polls `cond` every 5 ms; rejects after `timeoutMs` so no test can hang. */
export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${String(timeoutMs)} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
