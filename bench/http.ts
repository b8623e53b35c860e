// node:http requests over keep-alive agents (one socket per concurrent request, reused): what
// the bench's control paths use (leader discovery, readiness, failover probes), and the load's
// client with `--client node`. The load's default client is the leaner bench/raw-http.ts.
import { Agent, request } from 'node:http';

export interface HttpTarget {
  readonly host: string;
  readonly port: number;
}

export interface HttpRequest {
  readonly method: 'GET' | 'PUT' | 'POST';
  readonly path: string;
  readonly contentType?: string;
  readonly body?: Buffer;
}

export interface HttpResponse {
  readonly status: number;
  readonly body: string;
}

export function keepAliveAgent(maxSockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' });
}

/**
 * One request; rejects on a network error or when the socket is idle for `timeoutMs` (the
 * request is then aborted, so the caller never waits longer than that for a silent server).
 */
export function send(
  agent: Agent,
  target: HttpTarget,
  req: HttpRequest,
  timeoutMs: number,
): Promise<HttpResponse> {
  return new Promise<HttpResponse>((resolve, reject) => {
    const headers: Record<string, string | number> = {};
    if (req.body !== undefined) {
      headers['content-length'] = req.body.byteLength;
      headers['content-type'] = req.contentType ?? 'application/octet-stream';
    }
    const r = request(
      {
        agent,
        host: target.host,
        port: target.port,
        method: req.method,
        path: req.path,
        headers,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    r.on('error', reject);
    r.end(req.body);
  });
}

/** send() that never rejects: a failure is status 0 with the error message as body. */
export async function trySend(
  agent: Agent,
  target: HttpTarget,
  req: HttpRequest,
  timeoutMs: number,
): Promise<HttpResponse> {
  try {
    return await send(agent, target, req, timeoutMs);
  } catch (err) {
    return { status: 0, body: err instanceof Error ? err.message : String(err) };
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` every `everyMs` until it returns a value (not null) or `timeoutMs` passes. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | null>,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() >= deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
