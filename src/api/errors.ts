// Every failure the API answers with. Client mistakes are JSON `{"error", "field"}` so a caller
// can point at the bad input; cluster failures are plain text, as Consul's are, because Consul
// clients show a failed response's body verbatim (and some match "No cluster leader").
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RaftError } from '../raft/index.ts';

/** Consul's body for any request that needs a leader when there is none. */
export const NO_LEADER = 'No cluster leader';

export class ApiError extends Error {
  readonly status: number;
  /** The request field at fault (query parameter, body property, "key", "value", "body"). */
  readonly field: string | null;
  /** Answer with a text/plain body instead of the JSON error object. */
  readonly plain: boolean;

  constructor(status: number, message: string, field: string | null = null, plain = false) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.field = field;
    this.plain = plain;
  }
}

export function badRequest(field: string, message: string): ApiError {
  return new ApiError(400, message, field);
}

/** What was being attempted, so an unknown outcome can say what may or may not have happened. */
export type Action = 'write' | 'read' | 'membership change' | 'snapshot';

/** Maps a backend rejection to the answer; errors that are not expected are rethrown (500). */
export function backendError(err: unknown, action: Action): ApiError {
  if (err instanceof ApiError) return err;
  if (!(err instanceof RaftError)) throw err;
  switch (err.code) {
    case 'NOT_LEADER':
      return new ApiError(500, NO_LEADER, null, true);
    case 'PROPOSAL_DROPPED':
      return new ApiError(500, droppedMessage(action, err.message), null, true);
    case 'TRANSFER_IN_PROGRESS':
      return new ApiError(
        503,
        `leadership transfer in progress, retry: ${err.message}`,
        null,
        true,
      );
    case 'CONF_CHANGE_PENDING':
      return new ApiError(409, `another membership change is in progress: ${err.message}`);
    case 'INVALID_CONF_CHANGE':
      return new ApiError(400, err.message, 'id');
    case 'SNAPSHOT_OUT_OF_RANGE':
      return new ApiError(409, `nothing new to snapshot: ${err.message}`);
    default:
      throw err;
  }
}

function droppedMessage(action: Action, detail: string): string {
  // A read has no effect, so only its freshness is in doubt; a write may have been applied.
  if (action === 'read') return `Read could not be confirmed with the leader: ${detail}`;
  return `${capitalize(action)} outcome unknown (it may or may not have been applied; read before retrying): ${detail}`;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The JSON body of a client error (`plain` errors are answered with their message instead). */
export function errorBody(e: ApiError): { error: string; field?: string } {
  return e.field === null ? { error: e.message } : { error: e.message, field: e.field };
}

export function sendError(reply: FastifyReply, e: ApiError): FastifyReply {
  reply.code(e.status);
  if (e.plain) return reply.type('text/plain; charset=utf-8').send(e.message);
  return reply.send(errorBody(e));
}

/** The answer to a failure nothing expected (logged by the caller). */
export function internalError(err: unknown): ApiError {
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError(500, `internal error: ${message}`, null, true);
}

/** Turns fastify's own errors (body parsing, limits, bad URLs) and stray throws into answers. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof ApiError) return sendError(reply, err);
    const mapped = fromFastifyError(err, req);
    if (mapped !== null) return sendError(reply, mapped);
    req.log.error({ err }, 'request failed');
    return sendError(reply, internalError(err));
  });
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, new ApiError(404, `no route ${req.method} ${req.url.split('?')[0] ?? ''}`)),
  );
}

/** fastify's `frameworkErrors` hook: a URL that is not valid percent-encoding names "url". */
export function frameworkError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  void sendError(reply, fromFastifyError(err, req) ?? new ApiError(400, err.message, 'url'));
}

function fromFastifyError(err: FastifyError, req: FastifyRequest): ApiError | null {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const limit = req.routeOptions.bodyLimit;
    const field = req.url.startsWith('/v1/kv/') ? 'value' : 'body';
    const size = req.headers['content-length'];
    const got = size === undefined ? '' : ` of ${size} bytes`;
    return new ApiError(413, `${field}${got} is too large, max size: ${limit} bytes`, field);
  }
  if (err.code === 'FST_ERR_BAD_URL') return new ApiError(400, err.message, 'url');
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return new ApiError(status, err.message, err.code.startsWith('FST_ERR_CTP') ? 'body' : null);
  }
  return null;
}
