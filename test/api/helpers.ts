// Shared setup for the API tests: a server over a real in-process cluster, driven by inject.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { ApiBackend } from '../../src/api/backend.ts';
import { createApiServer, type ApiServerOptions } from '../../src/api/index.ts';
import { ApiTestCluster, silentLogger } from './backend.ts';

/** Generous for a real cluster on one machine, short enough that a hang fails fast. */
export const REQUEST_TIMEOUT_MS = 2000;
/** Every test is bounded; a hung request fails the test instead of the run. */
export const TEST_TIMEOUT = { timeout: 15_000 };

export function apiFor(
  backend: ApiBackend,
  extra: Partial<ApiServerOptions> = {},
): FastifyInstance {
  return createApiServer({
    backend,
    logger: silentLogger,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    random: () => 0,
    ...extra,
  });
}

export interface Harness {
  readonly cluster: ApiTestCluster;
  readonly leader: string;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

/** A settled cluster of `ids` and a server on `on` (default: the leader). */
export async function harness(
  ids: readonly string[],
  on?: (leader: string) => string,
): Promise<Harness> {
  const cluster = new ApiTestCluster(ids);
  const leader = await cluster.settled();
  const app = apiFor(cluster.backend(on === undefined ? leader : on(leader)));
  await app.ready();
  return {
    cluster,
    leader,
    app,
    close: async () => {
      await app.close();
      cluster.stopAll();
    },
  };
}

export function header(res: LightMyRequestResponse, name: string): string {
  const v = res.headers[name.toLowerCase()];
  if (typeof v !== 'string') throw new Error(`header ${name} missing (got ${JSON.stringify(v)})`);
  return v;
}

export function index(res: LightMyRequestResponse): number {
  return Number(header(res, 'X-Consul-Index'));
}

export function put(
  app: FastifyInstance,
  url: string,
  payload?: string | Buffer,
  contentType?: string,
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'PUT',
    url,
    ...(contentType === undefined ? {} : { headers: { 'content-type': contentType } }),
    ...(payload === undefined ? {} : { payload }),
  });
}

export function get(app: FastifyInstance, url: string): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url });
}

export function del(app: FastifyInstance, url: string): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'DELETE', url });
}

export const b64 = (s: string): string => Buffer.from(s).toString('base64');
