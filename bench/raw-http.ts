// A lean HTTP/1.1 client for the closed-loop load: one keep-alive socket, one request in flight
// at a time, the request written as one buffer, the answer parsed from the status line and the
// Content-Length (or chunked) framing only. node:http costs the client about 36 µs of CPU per
// request on this machine, this client about 11 (bench/client-cost.ts, both in one run); the
// load generator shares the two cores with the servers it measures, so every microsecond it
// spends is taken from them. Both systems are driven by the same client; `--client node`
// keeps node:http for comparison.
import { connect, type Socket } from 'node:net';
import type { HttpRequest, HttpResponse, HttpTarget } from './http.ts';

/** Bytes of status line and headers an answer may have before it counts as malformed. */
const maxHeadBytes = 16 * 1024;
/** Largest answer body accepted (the load's answers are a few hundred bytes). */
const maxBodyBytes = 1024 * 1024;

interface InFlight {
  readonly resolve: (r: HttpResponse) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** The parsed head of an answer: status, how the body is framed, and whether to keep the socket. */
interface Head {
  readonly status: number;
  /** Body length; -1 for chunked. */
  readonly length: number;
  readonly close: boolean;
}

export class RawHttpConnection {
  readonly #target: HttpTarget;
  readonly #hostHeader: string;
  #socket: Socket | null = null;
  #inFlight: InFlight | null = null;
  #buf: Buffer = Buffer.alloc(0);
  #head: Head | null = null;
  #headBytes = 0;

  constructor(target: HttpTarget) {
    this.#target = target;
    this.#hostHeader = `${target.host}:${target.port}`;
  }

  /** One request; rejects on a network error, a malformed answer or `timeoutMs` of silence. */
  send(req: HttpRequest, timeoutMs: number): Promise<HttpResponse> {
    if (this.#inFlight !== null) return Promise.reject(new Error('a request is already in flight'));
    let head = `${req.method} ${req.path} HTTP/1.1\r\nHost: ${this.#hostHeader}\r\n`;
    if (req.body !== undefined) {
      head += `Content-Type: ${req.contentType ?? 'application/octet-stream'}\r\nContent-Length: ${req.body.byteLength}\r\n`;
    }
    head += '\r\n';
    const headBuf = Buffer.from(head, 'latin1');
    const wire = req.body === undefined ? headBuf : Buffer.concat([headBuf, req.body]);
    return new Promise<HttpResponse>((resolve, reject) => {
      const timer = setTimeout(
        () => this.#fail(new Error(`no answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.#inFlight = { resolve, reject, timer };
      this.#socketFor().write(wire);
    });
  }

  close(): void {
    this.#fail(new Error('connection closed by the client'));
  }

  #socketFor(): Socket {
    if (this.#socket !== null) return this.#socket;
    const s = connect({ host: this.#target.host, port: this.#target.port });
    s.setNoDelay(true);
    s.on('data', (chunk: Buffer) => {
      if (this.#socket === s) this.#onData(chunk);
    });
    s.on('error', (err) => {
      if (this.#socket === s) this.#fail(err);
    });
    s.on('close', () => {
      if (this.#socket === s) this.#fail(new Error('connection closed by the server'));
    });
    this.#socket = s;
    return s;
  }

  #onData(chunk: Buffer): void {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    if (this.#inFlight === null) {
      this.#fail(new Error('the server sent bytes nobody asked for'));
      return;
    }
    if (this.#head === null) {
      const end = this.#buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.#buf.length > maxHeadBytes) this.#fail(new Error('answer head too large'));
        return;
      }
      const head = parseHead(this.#buf.toString('latin1', 0, end));
      if (typeof head === 'string') {
        this.#fail(new Error(head));
        return;
      }
      this.#head = head;
      this.#headBytes = end + 4;
    }
    let body: string | null;
    try {
      body = this.#body(this.#head);
    } catch (err) {
      this.#fail(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (body === null) return;
    const { status, close } = this.#head;
    const done = this.#inFlight;
    this.#buf = Buffer.alloc(0);
    this.#head = null;
    this.#inFlight = null;
    clearTimeout(done.timer);
    if (close) this.#drop();
    done.resolve({ status, body });
  }

  /** The whole body once it is here, or null while more bytes are due; throws on bad framing. */
  #body(head: Head): string | null {
    const start = this.#headBytes;
    if (head.length < 0) return decodeChunked(this.#buf, start);
    const end = start + head.length;
    if (this.#buf.length < end) return null;
    if (this.#buf.length > end) throw new Error('the server sent more than the answer');
    return this.#buf.toString('utf8', start, end);
  }

  #drop(): void {
    const s = this.#socket;
    this.#socket = null;
    s?.destroy();
  }

  #fail(err: Error): void {
    this.#drop();
    this.#buf = Buffer.alloc(0);
    this.#head = null;
    const f = this.#inFlight;
    this.#inFlight = null;
    if (f === null) return;
    clearTimeout(f.timer);
    f.reject(err);
  }
}

/** Status and framing from an answer's head (without the blank line); a string names the fault. */
export function parseHead(text: string): Head | string {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (m === null) return `malformed status line: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`;
  let length = -2;
  let close = lines[0]?.startsWith('HTTP/1.0') ?? false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const colon = line.indexOf(':');
    if (colon <= 0) return `malformed header line: ${JSON.stringify(line.slice(0, 80))}`;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') {
      const n = Number(value);
      if (!/^\d+$/.test(value) || n > maxBodyBytes) return `bad content-length: ${value}`;
      length = n;
    } else if (name === 'transfer-encoding') {
      if (value.toLowerCase() !== 'chunked') return `unsupported transfer-encoding: ${value}`;
      length = -1;
    } else if (name === 'connection') {
      close = value.toLowerCase() === 'close';
    }
  }
  const status = Number(m[1]);
  // 204 and 304 carry no body; anything else needs framing the client can follow.
  if (status === 204 || status === 304) length = 0;
  if (length === -2) return 'answer without content-length or chunked framing';
  return { status, length, close };
}

/** A chunked body starting at `start`: the text, or null while incomplete; throws on bad framing. */
export function decodeChunked(buf: Buffer, start: number): string | null {
  const parts: Buffer[] = [];
  let at = start;
  let total = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', at);
    if (eol < 0) return null;
    const sizeText = buf.toString('latin1', at, eol).split(';')[0]?.trim() ?? '';
    if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) throw new Error(`bad chunk size: ${sizeText}`);
    const size = parseInt(sizeText, 16);
    total += size;
    if (total > maxBodyBytes) throw new Error('chunked answer too large');
    if (size === 0) {
      // Trailers are not expected; the body ends with an empty line.
      if (buf.length < eol + 4) return null;
      return Buffer.concat(parts).toString('utf8');
    }
    if (buf.length < eol + 2 + size + 2) return null;
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}
