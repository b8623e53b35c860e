// JSON body validation with typebox: the first violation becomes a 400 naming its field.
import type { FastifyInstance } from 'fastify';
import type { TLocalizedValidationError } from 'typebox/error';
import type { Validator } from 'typebox/compile';
import { ApiError, badRequest } from './errors.ts';

/** Parses a JSON body; an empty or malformed one is a client error on the field "body". */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw badRequest('body', 'a JSON body is required');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest('body', `malformed JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Makes `app` (a route scope) parse every body as JSON whatever its content type: Consul clients
 * and `curl -d` do not reliably label JSON as JSON.
 */
export function acceptJsonBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(String(body)));
    } catch (err) {
      done(err instanceof Error ? err : new Error(String(err)), undefined);
    }
  });
}

export function check<T>(validator: Validator, body: unknown): T {
  if (validator.Check(body)) return body as T;
  const first = validator.Errors(body)[0];
  if (first === undefined) throw new ApiError(400, 'invalid body', 'body');
  throw describe(first);
}

function describe(e: TLocalizedValidationError): ApiError {
  const params = e.params as Readonly<Record<string, unknown>>;
  const named = (key: string): string | undefined => {
    const list = params[key];
    return Array.isArray(list) && typeof list[0] === 'string' ? list[0] : undefined;
  };
  const required = e.keyword === 'required' ? named('requiredProperties') : undefined;
  if (required !== undefined) return badRequest(required, `${required} is required`);
  const extra = e.keyword === 'additionalProperties' ? named('additionalProperties') : undefined;
  if (extra !== undefined) return badRequest(extra, `${extra} is not a known field`);
  const field = fieldOf(e.instancePath);
  if (e.keyword === 'boolean') return badRequest(field, `${field} is not a known field`);
  return badRequest(field, `${field} ${e.message}`);
}

/** "/a~1b" (a JSON pointer) → "a/b"; the document itself is "body". */
function fieldOf(pointer: string): string {
  if (pointer === '') return 'body';
  return pointer.slice(1).replaceAll('~1', '/').replaceAll('~0', '~');
}
