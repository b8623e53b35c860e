// The HTTP API server: Consul's KV, status and operator endpoints, Sappers' own endpoints and
// the seed code's. Each route family is a fastify plugin, so the raw-bytes body parser of
// /v1/kv and the JSON-whatever-the-label parser of the seed routes stay in their own scope.
//
// Where this differs from Consul, on purpose:
// - Reads are linearizable by default (Consul's default may be stale by a leader change);
//   X-Consul-Effective-Consistency says "consistent", or "stale" for ?stale.
// - X-Consul-Index is the whole table's index, not the prefix's (there are no tombstones), so
//   a blocking query may wake for a write elsewhere; Consul allows such wake-ups.
// - Client errors are JSON {"error", "field"}; an oversized value is 413 naming "value".
// - Integers above 2^53-1 (flags, cas, index) are refused, as are negative waits; sessions
//   (?acquire, ?release) are refused rather than faked.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerFactory,
  type FastifyServerOptions,
  type RawServerDefault,
} from 'fastify';
import { agentRoutes } from './agent.ts';
import type { ApiBackend } from './backend.ts';
import { clusterRoutes } from './cluster.ts';
import type { ApiContext } from './context.ts';
import { frameworkError, installErrorHandlers } from './errors.ts';
import { eventsRoutes } from './events.ts';
import { kvRoutes, MAX_VALUE_BYTES } from './kv.ts';
import { handleKvPutFast } from './kv-put-fast.ts';
import { operatorRoutes } from './operator.ts';
import { sappersRoutes } from './sappers.ts';
import { seedCompatRoutes } from './seed-compat.ts';
import { statusRoutes } from './status.ts';
import { txnRoutes } from './txn.ts';

export interface ApiServerOptions {
  readonly backend: ApiBackend;
  /** A pino logger (or any fastify-compatible one); request logs go through it. */
  readonly logger: FastifyBaseLogger;
  /** Bound on each propose, read barrier and membership change. Consul holds RPCs for 7 s. */
  readonly requestTimeoutMs?: number;
  /** Source of blocking-query jitter, in [0, 1); tests pin it. */
  readonly random?: () => number;
  /**
   * Plain `PUT /v1/kv/<key>` requests skip fastify (kv-put-fast.ts); on by default. Off only
   * to compare the two routes' answers. fastify's inject() never takes the direct route.
   */
  readonly directKvPut?: boolean;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 7000;
/** Bodies outside /v1/kv: a seed-compat POST /key of 64 pairs needs room, nothing needs more. */
const DEFAULT_BODY_LIMIT = 2 * MAX_VALUE_BYTES;

export function createApiServer(options: ApiServerOptions): FastifyInstance {
  const ctx: ApiContext = {
    backend: options.backend,
    timeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    random: options.random ?? Math.random,
    lifecycle: { closing: new AbortController() },
  };
  const direct: FastifyServerFactory<RawServerDefault> = (handler, opts) =>
    httpServer(opts, (req, res) => {
      if (!handleKvPutFast(ctx, options.logger, req, res)) handler(req, res);
    });
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: DEFAULT_BODY_LIMIT,
    frameworkErrors: frameworkError,
    // Two INFO lines per request cost ~10% of the write path; requests are logged at DEBUG.
    logController: new LogController({ disableRequestLogging: true }),
    ...(options.directKvPut === false ? {} : { serverFactory: direct }),
  });
  app.addHook('onResponse', (req, reply, done) => {
    req.log.debug(
      { method: req.method, url: req.url, statusCode: reply.statusCode, ms: reply.elapsedTime },
      'request completed',
    );
    done();
  });
  installErrorHandlers(app);
  // Held blocking queries would keep close() waiting for minutes; answer them now instead.
  app.addHook('preClose', (done) => {
    ctx.lifecycle.closing.abort();
    done();
  });
  const scoped = (routes: (app: FastifyInstance, ctx: ApiContext) => void) =>
    app.register((instance, _opts, done) => {
      routes(instance, ctx);
      done();
    });
  void scoped(kvRoutes);
  void scoped(statusRoutes);
  void scoped(operatorRoutes);
  void scoped(sappersRoutes);
  void scoped(eventsRoutes);
  void scoped(seedCompatRoutes);
  void scoped(agentRoutes);
  void scoped(clusterRoutes);
  void scoped(txnRoutes);
  return app;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** The HTTP/1.1 server fastify would create itself, with its timeouts, around `handler`. */
function httpServer(opts: FastifyServerOptions, handler: Handler): RawServerDefault {
  const server = createServer(handler);
  if (opts.keepAliveTimeout !== undefined) server.keepAliveTimeout = opts.keepAliveTimeout;
  if (opts.requestTimeout !== undefined) server.requestTimeout = opts.requestTimeout;
  server.setTimeout(opts.connectionTimeout ?? 0);
  if (opts.maxRequestsPerSocket !== undefined && opts.maxRequestsPerSocket > 0)
    server.maxRequestsPerSocket = opts.maxRequestsPerSocket;
  return server;
}
