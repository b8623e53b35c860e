// What every route module is built from: the node's backend and the server's settings.
import type { ApiBackend } from './backend.ts';

export interface ApiContext {
  readonly backend: ApiBackend;
  /** Bound on each propose, read barrier and membership change. */
  readonly timeoutMs: number;
  /** In [0, 1); spreads blocking-query deadlines. */
  readonly random: () => number;
  /** Aborted when the server starts closing, so held blocking queries answer at once. */
  readonly lifecycle: { readonly closing: AbortController };
}
