// The read and write protocol of the replicated endpoints. Reads are linearizable unless the
// client asks for `?stale`: a ReadIndex barrier first makes the local replica reflect every
// write committed before the request arrived. Blocking queries then wait on the local replica,
// which is still linearizable: whatever it has applied by then was committed after the barrier.
import type { FastifyReply } from 'fastify';
import type { ApplyResult, Command } from '../state/index.ts';
import type { ApiContext } from './context.ts';
import { ApiError, backendError } from './errors.ts';
import type { ReadOptions } from './query.ts';

/**
 * Held blocking queries re-register with the IndexWatch at least this often: the watch cannot
 * cancel a waiter, so a client that hangs up (or a server that closes) stops holding one within
 * this bound instead of for the whole wait.
 */
const WAIT_SLICE_MS = 1000;

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

async function waitPastIndex(
  ctx: ApiContext,
  reply: FastifyReply,
  minIndex: number,
  waitMs: number,
  indexOf: () => number,
): Promise<void> {
  let gone = false;
  const onClose = (): void => {
    gone = true;
  };
  reply.raw.once('close', onClose);
  const deadline = Date.now() + waitMs;
  try {
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0 || gone || ctx.lifecycle.closing) return;
      const slice = Math.min(left, WAIT_SLICE_MS);
      if (await ctx.backend.watch.wait(minIndex, indexOf, slice)) return;
    }
  } catch (err) {
    if (err instanceof RangeError) throw new ApiError(429, err.message);
    throw err;
  } finally {
    reply.raw.off('close', onClose);
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
    throw new Error(`${command.t} applied with result ${String(result)}, expected a boolean`);
  }
  return result;
}
