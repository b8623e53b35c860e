// Jepsen-style histories of real HTTP clients, for src/lincheck's checkHistory.
//
// Every operation is an `invoke` event before the request and one completion after it:
//   ok    the operation took effect (write/delete acknowledged, cas swapped, read answered);
//   fail  the operation definitely did NOT take effect (for a cas: it ran and did not swap);
//   info  the outcome is unknown: it may take effect at any time after its invoke.
//
// What counts as "definitely not applied" for a write is only what the API guarantees
// (src/api/errors.ts, src/agent/backend.ts):
//   - the TCP connection was never established (refused): the agent never saw the request;
//   - 500 "No cluster leader": the backend only answers this when every attempt was refused
//     before reaching a Raft log (no leader known, leader unreachable before sending, or the
//     leader said NOT_LEADER before proposing); an appended proposal that is lost is reported as
//     an unknown outcome instead;
//   - 503 "leadership transfer in progress": Raft refused the proposal, nothing was appended;
//   - any 4xx: the request was refused by validation before any proposal.
// Everything else (a timeout, a reset connection, any other 500 such as "Write outcome unknown")
// is `info`.
//
// Check-and-set. Consul's `PUT ?cas=N` compares the key's ModifyIndex with N, not its value. The
// clients record it as a value-cas [expected, new] like this: read the key (GET, linearizable),
// which yields its value V and ModifyIndex M; then `PUT ?cas=M` with a new value; the cas
// operation in the history spans only that PUT and is recorded as cas [V, new]. This is a
// correct value-cas because every value ever written is unique in a history (writer id and
// sequence number): ModifyIndex M identifies exactly the write of V, so
//   - "true": when the PUT was applied the key's ModifyIndex was still M, so its value was V,
//     and it became `new` atomically: a value-cas that swapped;
//   - "false": when applied, the ModifyIndex was not M, so a later write or delete replaced V
//     (and no value is written twice, so the value was not V): a value-cas that did not swap,
//     which the checker models as a read of something other than V;
//   - unknown: may or may not have swapped, at any time after the invoke (info).
// A cas whose PUT definitely never ran (refused, no leader) must NOT be recorded as `fail`,
// which for a cas means "ran and did not swap"; it is recorded as `info` (an unknown cas may be
// left out of the linearization, which is exactly "did not happen"). The preceding GET is its
// own read operation in the history. A key that is absent (404) is not cas'ed: Consul's cas=0
// ("create only if absent") has no value-cas equivalent in the checker's model.
import type {
  CheckResult,
  EventType,
  HistoryEventInput,
  OpName,
} from '../../src/lincheck/index.ts';
import { checkHistory, formatResult } from '../../src/lincheck/index.ts';
import { http, type HttpOutcome } from './cluster.ts';

export type Outcome = 'ok' | 'fail' | 'info';

export interface RecordedEvent extends HistoryEventInput {
  /** Which agent served it and why it ended this way; ignored by the checker. */
  readonly node?: string;
  readonly detail?: string;
}

type Value = string | null | readonly [string, string];

export class HistoryRecorder {
  readonly events: RecordedEvent[] = [];
  private readonly t0 = process.hrtime.bigint();

  /** Nanoseconds since the recorder was made (integer, non-decreasing). */
  now(): number {
    return Number(process.hrtime.bigint() - this.t0);
  }

  invoke(process: number, f: OpName, key: string, value: Value, node?: string): void {
    this.events.push({
      process,
      type: 'invoke',
      f,
      key,
      value,
      time: this.now(),
      ...(node === undefined ? {} : { node }),
    });
  }

  complete(
    process: number,
    type: Exclude<EventType, 'invoke'>,
    f: OpName,
    key: string,
    value: Value,
    detail?: string,
  ): void {
    this.events.push({
      process,
      type,
      f,
      key,
      value,
      time: this.now(),
      ...(detail === undefined ? {} : { detail }),
    });
  }

  /** Counts such as "write:ok" → 120, for reports and sanity checks. */
  counts(): Map<string, number> {
    const c = new Map<string, number>();
    for (const e of this.events) {
      if (e.type === 'invoke') continue;
      const k = `${e.f}:${e.type}`;
      c.set(k, (c.get(k) ?? 0) + 1);
    }
    return c;
  }

  summary(): string {
    return [...this.counts().entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `${k}=${n}`)
      .join(' ');
  }

  toJsonl(): string {
    return this.events.map((e) => JSON.stringify(e)).join('\n') + '\n';
  }

  check(): CheckResult {
    return checkHistory(this.events);
  }

  /** A readable verdict (the checker's own formatting). */
  static describe(result: CheckResult): string {
    return formatResult(result);
  }
}

/** The history outcome of a write or delete request; see the file comment. */
export function writeOutcome(o: HttpOutcome): { type: Outcome; detail: string } {
  if (o.kind === 'error') {
    return {
      type: o.connected ? 'info' : 'fail',
      detail: `${o.code}${o.timedOut ? ' (client timeout)' : ''}`,
    };
  }
  const detail = `${o.status} ${o.body.slice(0, 200)}`;
  if (o.status === 200 && o.body === 'true') return { type: 'ok', detail };
  if (o.status === 500 && o.body === 'No cluster leader') return { type: 'fail', detail };
  if (o.status === 503) return { type: 'fail', detail };
  if (o.status >= 400 && o.status < 500) return { type: 'fail', detail };
  return { type: 'info', detail };
}

export interface ReadResult {
  readonly type: 'ok' | 'fail';
  /** The value (null = absent) when ok. */
  readonly value: string | null;
  /** The key's ModifyIndex when present. */
  readonly modifyIndex: number | null;
  readonly detail: string;
}

interface ConsulPair {
  readonly Value: string | null;
  readonly ModifyIndex: number;
}

/** A GET /v1/kv/<key> answer: present (value, ModifyIndex), absent, or failed. */
export function parseRead(o: HttpOutcome): ReadResult {
  if (o.kind === 'error') return { type: 'fail', value: null, modifyIndex: null, detail: o.code };
  const detail = `${o.status} ${o.body.slice(0, 200)}`;
  if (o.status === 404) return { type: 'ok', value: null, modifyIndex: null, detail };
  if (o.status !== 200) return { type: 'fail', value: null, modifyIndex: null, detail };
  const pairs = JSON.parse(o.body) as readonly ConsulPair[];
  const pair = pairs[0];
  if (pair === undefined) throw new Error(`GET answered 200 with no pair: ${o.body}`);
  const value = pair.Value === null ? '' : Buffer.from(pair.Value, 'base64').toString('utf8');
  return { type: 'ok', value, modifyIndex: pair.ModifyIndex, detail };
}

export const kvPath = (key: string, query = ''): string =>
  `/v1/kv/${encodeURI(key)}${query === '' ? '' : `?${query}`}`;

/**
 * One logical client (one history process): each call records its invoke and completion.
 * Requests time out on the client after `timeoutMs`, which is longer than the agent's own 7 s
 * request bound, so the agent's answer is normally seen.
 */
export class KvClient {
  readonly process: number;
  private readonly h: HistoryRecorder;
  private readonly timeoutMs: number;

  constructor(history: HistoryRecorder, process: number, timeoutMs = 10_000) {
    this.h = history;
    this.process = process;
    this.timeoutMs = timeoutMs;
  }

  async read(node: { id: string; httpAddr: string }, key: string): Promise<ReadResult> {
    this.h.invoke(this.process, 'read', key, null, node.id);
    const o = await http(node.httpAddr, 'GET', kvPath(key), { timeoutMs: this.timeoutMs });
    const r = parseRead(o);
    // A read has no effect, so a failed or timed-out one is simply one that observed nothing.
    this.h.complete(this.process, r.type, 'read', key, r.type === 'ok' ? r.value : null, r.detail);
    return r;
  }

  async write(node: { id: string; httpAddr: string }, key: string, value: string) {
    this.h.invoke(this.process, 'write', key, value, node.id);
    const o = await http(node.httpAddr, 'PUT', kvPath(key), {
      body: value,
      timeoutMs: this.timeoutMs,
    });
    const r = writeOutcome(o);
    this.h.complete(this.process, r.type, 'write', key, value, r.detail);
    return r;
  }

  async delete(node: { id: string; httpAddr: string }, key: string) {
    this.h.invoke(this.process, 'delete', key, null, node.id);
    const o = await http(node.httpAddr, 'DELETE', kvPath(key), { timeoutMs: this.timeoutMs });
    const r = writeOutcome(o);
    this.h.complete(this.process, r.type, 'delete', key, null, r.detail);
    return r;
  }

  /** `PUT ?cas=modifyIndex` recorded as the value-cas [expected, next]; see the file comment. */
  async cas(
    node: { id: string; httpAddr: string },
    key: string,
    expected: string,
    modifyIndex: number,
    next: string,
  ): Promise<{ type: Outcome; detail: string }> {
    const pair = [expected, next] as const;
    this.h.invoke(this.process, 'cas', key, pair, node.id);
    const o = await http(node.httpAddr, 'PUT', kvPath(key, `cas=${modifyIndex}`), {
      body: next,
      timeoutMs: this.timeoutMs,
    });
    let r: { type: Outcome; detail: string };
    if (o.kind === 'response' && o.status === 200 && o.body === 'false') {
      r = { type: 'fail', detail: '200 false' };
    } else {
      const w = writeOutcome(o);
      // A cas that never ran is not a cas that ran and found another value: see above.
      r = w.type === 'fail' ? { type: 'info', detail: `not run: ${w.detail}` } : w;
    }
    this.h.complete(this.process, r.type, 'cas', key, pair, r.detail);
    return r;
  }
}
