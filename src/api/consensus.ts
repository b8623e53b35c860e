// The read and write protocol of the replicated endpoints. Reads are linearizable unless the
// client asks for `?stale`: a ReadIndex barrier first makes the local replica reflect every
// write committed before the request arrived. Blocking queries then wait on the local replica,
// which is still linearizable: whatever it has applied by then was committed after the barrier.
import type { FastifyReply } from 'fastify';
import type { ApplyResult, Command, TxnOp, TxnOutcome } from '../state/index.ts';
import type { ApiContext } from './context.ts';
import { ApiError, backendError } from './errors.ts';
import type { ReadOptions } from './query.ts';

/**
 * Confirms freshness (unless stale) and holds a blocking query on `indexOf` (the key-value
 * table's index unless told otherwise); data is read afterwards.
 */
export async function prepareRead(
  ctx: ApiContext,
  reply: FastifyReply,
  opts: ReadOptions,
  indexOf: () => number = () => ctx.backend.state.kv.index,
): Promise<void> {
  if (!opts.stale) {
    try {
      await ctx.backend.readBarrier(ctx.timeoutMs);
    } catch (err) {
      throw backendError(err, 'read');
    }
  }
  if (opts.minIndex > 0) await waitPastIndex(ctx, reply, opts.minIndex, opts.waitMs, indexOf);
}

/** The index clients block on: never 0 (0 means "do not block"), never decreasing here. */
export function currentIndex(ctx: ApiContext): number {
  return Math.max(1, ctx.backend.state.kv.index);
}

/** Consul's query metadata; call in the same synchronous step that reads the data. */
export function setQueryMeta(ctx: ApiContext, reply: FastifyReply, opts: ReadOptions): void {
  const b = ctx.backend;
  void reply.headers({
    'X-Consul-Index': String(currentIndex(ctx)),
    'X-Consul-KnownLeader': String(b.raftStatus().leader !== null),
    'X-Consul-LastContact': String(Math.max(0, Math.round(b.lastContactMs()))),
    'X-Consul-Effective-Consistency': opts.stale ? 'stale' : 'consistent',
  });
}

/**
 * Holds the request until `indexOf()` passes `minIndex` or `waitMs` ends. The waiter is
 * cancelled the moment the client hangs up or the server starts closing, so neither holds a
 * slot of the bounded watch; past that bound the answer is 429.
 */
async function waitPastIndex(
  ctx: ApiContext,
  reply: FastifyReply,
  minIndex: number,
  waitMs: number,
  indexOf: () => number,
): Promise<void> {
  const cancel = new AbortController();
  const onGone = (): void => cancel.abort();
  const closing = ctx.lifecycle.closing.signal;
  reply.raw.once('close', onGone);
  closing.addEventListener('abort', onGone, { once: true });
  // The client may have hung up (or the server begun closing) during the read barrier.
  if (reply.raw.closed || closing.aborted) cancel.abort();
  try {
    await ctx.backend.watch.wait(minIndex, indexOf, waitMs, cancel.signal);
  } catch (err) {
    if (err instanceof RangeError) throw new ApiError(429, err.message);
    throw err;
  } finally {
    reply.raw.off('close', onGone);
    closing.removeEventListener('abort', onGone);
  }
}

/** Replicates a key-value command and returns its outcome (false = check-and-set failed). */
export async function proposeKv(ctx: ApiContext, command: Command): Promise<boolean> {
  let result: ApplyResult;
  try {
    result = await ctx.backend.propose(command, ctx.timeoutMs);
  } catch (err) {
    throw backendError(err, 'write');
  }
  if (typeof result !== 'boolean') {
    throw new Error(
      `${command.t} applied with result ${JSON.stringify(result)}, expected a boolean`,
    );
  }
  return result;
}

/** Replicates a key-value transaction and returns its outcome (all applied, or none). */
export async function proposeTxn(ctx: ApiContext, ops: readonly TxnOp[]): Promise<TxnOutcome> {
  let result: ApplyResult;
  try {
    result = await ctx.backend.propose({ t: 'kv.txn', ops }, ctx.timeoutMs);
  } catch (err) {
    throw backendError(err, 'write');
  }
  if (typeof result !== 'object' || result === null) {
    throw new Error(`kv.txn applied with result ${String(result)}, expected an outcome`);
  }
  return result;
}
