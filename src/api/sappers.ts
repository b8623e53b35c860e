// Sappers' own endpoints under /v1/sappers.
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './context.ts';
import { backendError } from './errors.ts';

export interface SnapshotResponse {
  readonly Index: number;
  readonly Term: number;
  readonly Path: string;
}

export function sappersRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post('/v1/sappers/snapshot', async (): Promise<SnapshotResponse> => {
    try {
      const s = await ctx.backend.triggerSnapshot();
      return { Index: s.index, Term: s.term, Path: s.path };
    } catch (err) {
      throw backendError(err, 'snapshot');
    }
  });
}
