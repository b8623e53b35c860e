// TCP exchanges this core asked the shell to open, waiting for streamResult(). Each is
// forgotten once answered or after its deadline, and at most `max` are held at once.
import type { GossipAddress, GossipMessage } from '../messages.ts';
import type { Outbox } from './context.ts';

export type StreamPurpose =
  | { readonly kind: 'pushPull'; readonly join: boolean }
  | { readonly kind: 'ping'; readonly seq: number };

interface Pending {
  readonly purpose: StreamPurpose;
  readonly expiresAt: number;
}

export class StreamTable {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  private readonly out: Outbox;
  private readonly max: number;

  constructor(out: Outbox, max: number) {
    this.out = out;
    this.max = max;
  }

  get size(): number {
    return this.pending.size;
  }

  open(to: GossipAddress, msg: GossipMessage, purpose: StreamPurpose, expiresAt: number): number {
    const id = this.nextId++;
    if (this.pending.size >= this.max) {
      const oldest = this.pending.keys().next();
      if (oldest.done !== true) this.pending.delete(oldest.value);
    }
    this.pending.set(id, { purpose, expiresAt });
    this.out.stream({ id, to, msg });
    return id;
  }

  /** The purpose of stream `id`, removing it; undefined if unknown or already expired. */
  take(id: number, nowMs: number): StreamPurpose | undefined {
    const p = this.pending.get(id);
    this.pending.delete(id);
    return p !== undefined && p.expiresAt >= nowMs ? p.purpose : undefined;
  }

  expire(nowMs: number): void {
    for (const [id, p] of this.pending) if (p.expiresAt < nowMs) this.pending.delete(id);
  }
}
