// Typed calls into the `consul` npm client (v2) for what its bundled declarations leave out or
// get wrong: the blocking-query options (index, wait) and the response a call can return with
// its result (`ctx.includeResponse`), and the transaction body, which the client sends as given
// (its README's `{ KV: { Verb, Key, Value } }`, not the flat shape its typings describe).
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import Consul from 'consul';

export { Consul };

export interface KvItem {
  readonly Key: string;
  readonly Value: string | null;
  readonly Flags: number;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
  readonly LockIndex: number;
}

/** What the client rejects with for a non-2xx answer (papi's ResponseError). */
export interface ClientError extends Error {
  readonly isPapi?: boolean;
  readonly statusCode?: number;
  /** The response, its body decoded by content type (JSON here). */
  readonly response?: IncomingMessage & { readonly body?: unknown };
}

/** A client method that takes one options object (`consul.kv.set`, bound to its owner). */
type OptionsCall = (opts: never) => Promise<unknown>;

/**
 * Calls `method(opts)` with the client's `ctx.includeResponse`, so it resolves with the response
 * and the decoded body as they came. Without it the client (papi) resolves a body of `false` as
 * undefined, so a refused check-and-set and a missing key look alike.
 */
export async function withResponse(
  method: OptionsCall,
  opts: Readonly<Record<string, unknown>>,
): Promise<{ res: IncomingMessage; body: unknown }> {
  const ctx = Object.assign(new EventEmitter(), { includeResponse: true });
  const call = method as (o: Readonly<Record<string, unknown>>) => Promise<unknown>;
  const [res, body] = (await call({ ...opts, ctx })) as [IncomingMessage, unknown];
  return { res, body };
}

/**
 * `kv.get({ key, index, wait })` as a Consul user writes a blocking query; resolves with the
 * item (undefined for a missing key) and the X-Consul-Index the agent answered with.
 */
export async function blockingGet(
  consul: Consul,
  key: string,
  index: string,
  wait: string,
): Promise<{ item: KvItem | undefined; index: string | undefined }> {
  const { res, body } = await withResponse(consul.kv.get.bind(consul.kv), { key, index, wait });
  const header = res.headers['x-consul-index'];
  return {
    item: body as KvItem | undefined,
    index: typeof header === 'string' ? header : undefined,
  };
}

export type TxnOp =
  | { readonly KV: { readonly Verb: 'set'; readonly Key: string; readonly Value: string } }
  | { readonly KV: { readonly Verb: 'get' | 'delete'; readonly Key: string } }
  | {
      readonly KV: {
        readonly Verb: 'cas';
        readonly Key: string;
        readonly Value: string;
        readonly Index: number;
      };
    };

export interface TxnResult {
  readonly Results: { readonly KV: KvItem }[] | null;
  readonly Errors: { readonly OpIndex: number; readonly What: string }[] | null;
}

/** `consul.transaction.create(operations)` with Consul's operation shape. */
export async function txn(consul: Consul, ops: readonly TxnOp[]): Promise<TxnResult> {
  const create = consul.transaction.create.bind(consul.transaction) as unknown as (
    o: readonly TxnOp[],
  ) => Promise<unknown>;
  return (await create(ops)) as TxnResult;
}

export const b64 = (s: string): string => Buffer.from(s).toString('base64');
