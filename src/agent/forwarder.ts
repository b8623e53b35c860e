// Requests a follower cannot serve (writes, membership changes) travel to the leader over the
// Raft transport as application frames, and the answer comes back the same way.
import { Packr } from 'msgpackr';
import type { Logger } from 'pino';
import { RaftError, type RaftErrorCode } from '../raft/index.ts';
import { parseApplyResult, type ApplyResult } from '../state/index.ts';

export type ForwardRequest =
  | { readonly op: 'propose'; readonly command: Uint8Array }
  | { readonly op: 'join'; readonly node: string; readonly address: string }
  | { readonly op: 'remove'; readonly node: string };

export interface ForwardResult {
  readonly result: ApplyResult;
  /** The leader's applied index when it answered: the follower waits for it before replying. */
  readonly index: number;
}

/** What serves forwarded requests on the leader. */
export interface ForwardHandler {
  handleForwarded(req: ForwardRequest, timeoutMs: number): Promise<ForwardResult>;
}

/** The transport's side channel for application frames. */
export interface AppFrameSender {
  sendApp(to: string, payload: Uint8Array): boolean;
}

interface Pending {
  readonly to: string;
  readonly resolve: (r: ForwardResult) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

const packr = new Packr({ useRecords: false, moreTypes: false });
const maxPending = 16_384;
const codes: readonly RaftErrorCode[] = [
  'NOT_LEADER',
  'TRANSFER_IN_PROGRESS',
  'PROPOSAL_DROPPED',
  'CONF_CHANGE_PENDING',
  'INVALID_CONF_CHANGE',
  'INVALID_TRANSFER',
];

export class Forwarder {
  private readonly nodeId: string;
  private readonly logger: Logger;
  private sender: AppFrameSender | null = null;
  private handler: ForwardHandler | null = null;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;

  constructor(opts: { nodeId: string; logger: Logger }) {
    this.nodeId = opts.nodeId;
    this.logger = opts.logger;
  }

  attach(sender: AppFrameSender): void {
    this.sender = sender;
  }

  serve(handler: ForwardHandler): void {
    this.handler = handler;
  }

  request(to: string, req: ForwardRequest, timeoutMs: number): Promise<ForwardResult> {
    if (this.pending.size >= maxPending) {
      return Promise.reject(
        new RaftError('PROPOSAL_DROPPED', 'too many forwarded requests; retry later'),
      );
    }
    const id = ++this.seq;
    return new Promise<ForwardResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new RaftError(
            'PROPOSAL_DROPPED',
            `no answer from leader ${to} within ${timeoutMs} ms; outcome unknown`,
          ),
        );
      }, timeoutMs);
      this.pending.set(id, { to, resolve, reject, timer });
      const sent = this.sender?.sendApp(to, packr.pack({ k: 'req', id, timeoutMs, req })) ?? false;
      if (!sent)
        this.settle(id, null, new RaftError('NOT_LEADER', `leader ${to} is unreachable`, to));
    });
  }

  receive(from: string, payload: Uint8Array): void {
    let msg: unknown;
    try {
      msg = packr.unpack(payload);
    } catch {
      this.logger.warn({ from }, 'dropping undecodable forwarded frame');
      return;
    }
    if (typeof msg !== 'object' || msg === null) return;
    const o = msg as Record<string, unknown>;
    const id = o['id'];
    if (typeof id !== 'number') return;
    if (o['k'] === 'res') this.onResponse(id, o);
    else if (o['k'] === 'req') void this.onRequest(from, id, o);
  }

  private onResponse(id: number, o: Record<string, unknown>): void {
    if (o['ok'] === true) {
      const index = o['index'];
      let result: ApplyResult;
      try {
        result = parseApplyResult(o['result']);
      } catch (err) {
        const msg = `garbled answer from the leader (${String(err)}); outcome unknown`;
        this.settle(id, null, new RaftError('PROPOSAL_DROPPED', msg));
        return;
      }
      this.settle(id, { result, index: typeof index === 'number' ? index : 0 }, null);
      return;
    }
    const code = codes.find((c) => c === o['code']) ?? 'PROPOSAL_DROPPED';
    const leader = typeof o['leader'] === 'string' ? o['leader'] : null;
    this.settle(id, null, new RaftError(code, String(o['message']), leader));
  }

  private async onRequest(from: string, id: number, o: Record<string, unknown>): Promise<void> {
    const req = parseRequest(o['req']);
    const timeoutMs =
      typeof o['timeoutMs'] === 'number' ? Math.min(o['timeoutMs'], 600_000) : 10_000;
    let reply: Record<string, unknown>;
    try {
      if (req === null || this.handler === null)
        throw new RaftError('PROPOSAL_DROPPED', 'malformed forwarded request');
      const r = await this.handler.handleForwarded(req, timeoutMs);
      reply = { k: 'res', id, ok: true, result: r.result, index: r.index };
    } catch (err) {
      const e = err instanceof RaftError ? err : new RaftError('PROPOSAL_DROPPED', String(err));
      reply = { k: 'res', id, ok: false, code: e.code, message: e.message, leader: e.leader };
    }
    this.sender?.sendApp(from, packr.pack(reply));
  }

  private settle(id: number, result: ForwardResult | null, err: Error | null): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (err === null && result !== null) p.resolve(result);
    else p.reject(err ?? new Error('forwarded request settled without a result'));
  }

  /**
   * The connection from `peer` is gone (it answers on that one): its answers to requests in
   * flight may be lost, so they fail now as outcome unknown instead of at their timeout.
   */
  peerDisconnected(peer: string): void {
    for (const [id, p] of [...this.pending]) {
      if (p.to !== peer) continue;
      const msg = `connection to leader ${peer} lost; outcome unknown`;
      this.settle(id, null, new RaftError('PROPOSAL_DROPPED', msg));
    }
  }

  close(): void {
    for (const id of [...this.pending.keys()])
      this.settle(id, null, new RaftError('PROPOSAL_DROPPED', `node ${this.nodeId} is stopping`));
  }
}

function parseRequest(v: unknown): ForwardRequest | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  const command = o['command'];
  const node = o['node'];
  const address = o['address'];
  if (o['op'] === 'propose' && command instanceof Uint8Array) {
    return {
      op: 'propose',
      command: new Uint8Array(command.buffer, command.byteOffset, command.byteLength),
    };
  }
  if (o['op'] === 'join' && typeof node === 'string' && typeof address === 'string')
    return { op: 'join', node, address };
  if (o['op'] === 'remove' && typeof node === 'string') return { op: 'remove', node };
  return null;
}
