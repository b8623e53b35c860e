// Runs one RaftNode on real time: ticks on a timer, handles each Ready in the contract's order
// (persist, then send, then apply, then advance; a leader's messages go out before the persist
// when the Ready allows it), and turns proposals and reads into promises.
// Ready values are handled one at a time, so an entry is applied (and a client acknowledged)
// only once it is on this node's disk: committed entries that earlier writes made durable are
// applied while this one's write runs, the others after it. The core can also pipeline a
// leader's writes (RaftNode.earlyReady with writeEntries); measured here it cost more CPU per
// write than it saved in waiting (docs/BENCHMARKS.md), so the driver does not.
import type { Logger } from 'pino';
import { RaftError } from './errors.ts';
import type { Message } from './messages.ts';
import type { RaftNode } from './raft.ts';
import type { RaftWrite, Ready } from './ready.ts';
import type { ConfChange, Entry, HardState, Snapshot } from './types.ts';

export interface DriverStorage {
  /**
   * Make the snapshot, entries and hard state durable (resolve only after fsync). Calls take
   * effect in call order.
   */
  persist(w: RaftWrite): Promise<void>;
}

export interface DriverTransport {
  send(messages: readonly Message[]): void;
}

export interface StateMachine {
  /** Apply one committed entry; the result is handed to the proposer's promise. */
  apply(entry: Entry): unknown;
  restore(snapshot: Snapshot): void;
}

export interface DriverComponents {
  readonly raft: RaftNode;
  readonly storage: DriverStorage;
  readonly transport: DriverTransport;
  readonly stateMachine: StateMachine;
  readonly logger: Logger;
}

export interface DriverOptions {
  readonly tickMs: number;
  /** Proposals and reads waiting at once; more are refused with PROPOSAL_DROPPED. */
  readonly maxPendingRequests: number;
}

interface PendingProposal {
  readonly term: number;
  readonly resolve: (result: unknown) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

interface PendingRead {
  index: number;
  readonly resolve: (index: number) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class RaftDriver {
  private readonly c: DriverComponents;
  private readonly opts: DriverOptions;
  private ticker: NodeJS.Timeout | null = null;
  private running = false;
  private loopScheduled = false;
  private earlyScheduled = false;
  private processing = false;
  private loop: Promise<void> = Promise.resolve();
  private readonly proposals = new Map<number, PendingProposal>();
  private readonly reads = new Map<string, PendingRead>();
  private readSeq = 0;
  private appliedIndex = 0;
  private stopped: Error | null = null;
  /** The last hard state of a Ready (to tell a commit-only change). */
  private lastHard: HardState | null = null;
  /** A commit-only change not written yet (it goes with the next durable write). */
  private unwrittenHard: HardState | null = null;

  constructor(components: DriverComponents, options: DriverOptions) {
    this.c = components;
    this.opts = options;
  }

  start(): void {
    this.running = true;
    this.ticker = setInterval(() => {
      this.c.raft.tick();
      this.schedule();
    }, this.opts.tickMs);
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.ticker !== null) clearInterval(this.ticker);
    this.ticker = null;
    this.stopped = new RaftError('PROPOSAL_DROPPED', 'raft driver stopped');
    for (const p of this.proposals.values()) this.settleProposal(p, this.stopped);
    this.proposals.clear();
    for (const r of this.reads.values()) this.settleRead(r, this.stopped);
    this.reads.clear();
  }

  /**
   * Stops, then waits for an in-flight Ready (a persist under way) to finish and writes the
   * newest commit index, so a restart applies everything committed here at once.
   */
  async shutdown(): Promise<void> {
    this.stop();
    await this.loop;
    await this.flushHardState();
  }

  receive(m: Message): void {
    if (!this.running) return;
    this.c.raft.step(m);
    this.schedule();
  }

  /** The transport lost the connection from `peer` (see RaftNode.connectionLost). */
  connectionLost(peer: string): void {
    if (!this.running) return;
    this.c.raft.connectionLost(peer);
    this.schedule();
  }

  /** Resolves with the state machine's result once the entry is applied here. */
  propose(data: Uint8Array, timeoutMs: number): Promise<unknown> {
    return this.track(() => this.c.raft.propose(data), timeoutMs);
  }

  proposeConfChange(change: ConfChange, timeoutMs: number): Promise<unknown> {
    return this.track(() => this.c.raft.proposeConfChange(change), timeoutMs);
  }

  /** Resolves once this node has applied everything committed before the call (ReadIndex). */
  readBarrier(timeoutMs: number): Promise<number> {
    if (this.stopped !== null) return Promise.reject(this.stopped);
    if (this.reads.size >= this.opts.maxPendingRequests) return Promise.reject(overloaded());
    const context = `${this.c.raft.id}:${++this.readSeq}`;
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.reads.delete(context);
        reject(new RaftError('PROPOSAL_DROPPED', `read timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.reads.set(context, { index: 0, resolve, reject, timer });
      this.c.raft.readIndex(context);
      this.schedule();
    });
  }

  applied(): number {
    return this.appliedIndex;
  }

  private track(propose: () => number, timeoutMs: number): Promise<unknown> {
    if (this.stopped !== null) return Promise.reject(this.stopped);
    if (this.proposals.size >= this.opts.maxPendingRequests) return Promise.reject(overloaded());
    let index: number;
    try {
      index = propose();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const term = this.c.raft.currentTerm();
    this.schedule();
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.proposals.delete(index);
        reject(new RaftError('PROPOSAL_DROPPED', `outcome unknown after ${timeoutMs} ms`));
      }, timeoutMs);
      this.proposals.set(index, { term, resolve, reject, timer });
    });
  }

  private schedule(): void {
    if (this.processing) {
      this.scheduleEarly();
      return;
    }
    if (this.loopScheduled || !this.running) return;
    this.loopScheduled = true;
    setImmediate(() => {
      this.loopScheduled = false;
      this.loop = this.runLoop();
    });
  }

  /**
   * While a Ready is being written, a leader still sends what it owes its followers and
   * applies what they have committed (RaftNode.earlyReady), once per event-loop turn.
   */
  private scheduleEarly(): void {
    if (this.earlyScheduled || !this.running) return;
    this.earlyScheduled = true;
    setImmediate(() => {
      this.earlyScheduled = false;
      if (!this.running || !this.processing) return;
      // New appends wait for the next Ready: sending them early as well meant more, smaller
      // frames and measured slower (docs/BENCHMARKS.md).
      const er = this.c.raft.earlyReady(false);
      if (er === null) return;
      if (er.messages.length > 0) this.c.transport.send(er.messages);
      for (const e of er.committed) this.applyEntry(e);
      if (er.committed.length > 0) this.releaseReads();
    });
  }

  private async runLoop(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.running && this.c.raft.hasReady()) await this.handleReady(this.c.raft.ready());
    } catch (err) {
      this.c.logger.fatal({ err }, 'raft ready loop failed; stopping the node');
      this.stop();
      // A broken invariant or a failed disk must not be survived quietly: crash loudly.
      setImmediate(() => {
        throw err;
      });
    } finally {
      this.processing = false;
    }
  }

  private async handleReady(rd: Ready): Promise<void> {
    if (rd.softState !== null) {
      const s = this.c.raft.status();
      const { role, leader } = rd.softState;
      this.c.logger.info({ term: s.term, role, leader }, describeRole(role, leader, s.id));
    }
    if (rd.softState !== null) this.abandonUnconfirmedReads();
    const early = rd.sendBeforePersist === true;
    // A leader's appends go out while its own write runs (thesis §10.2.1), so the followers'
    // disk writes overlap the leader's instead of following it.
    if (early && rd.messages.length > 0) this.c.transport.send(rd.messages);
    const persisting = this.persist(rd);
    // Committed entries already on this disk are applied, and their clients answered, while
    // this write runs. The rest wait for it: they are among the entries being written, here
    // or in an earlier write still under way (writes complete in order).
    const durableTo = rd.snapshot !== null ? 0 : rd.stableIndex;
    let next = 0;
    for (; next < rd.committed.length; next++) {
      const e = rd.committed[next];
      if (e === undefined || e.index > durableTo) break;
      this.applyEntry(e);
    }
    await persisting;
    if (!early && rd.messages.length > 0) this.c.transport.send(rd.messages);
    if (rd.snapshot !== null) {
      this.c.stateMachine.restore(rd.snapshot);
      this.appliedIndex = rd.snapshot.meta.index;
    }
    for (; next < rd.committed.length; next++) {
      const e = rd.committed[next];
      if (e !== undefined) this.applyEntry(e);
    }
    for (const rs of rd.readStates) {
      const r = this.reads.get(rs.context);
      if (r !== undefined) r.index = rs.index;
    }
    for (const ctx of rd.droppedReads) {
      const r = this.reads.get(ctx);
      if (r !== undefined)
        this.settleRead(
          r,
          new RaftError('NOT_LEADER', 'read dropped: no leader', this.c.raft.status().leader),
        );
      this.reads.delete(ctx);
    }
    this.releaseReads();
    this.c.raft.advance();
  }

  /**
   * Entries, snapshots, term and vote must be on disk before anything is sent or applied. A
   * change of the commit index alone need not be (Raft recomputes it after a restart; etcd's
   * MustSync rule), so it is not written on its own: it rides along with the next write that
   * must be durable, or with the last write at shutdown. That saves a transaction and a disk
   * flush for about one Ready in ten under load.
   */
  private async persist(rd: Ready): Promise<void> {
    const hs = rd.hardState;
    const prev = this.lastHard;
    const mustSync =
      rd.entries.length > 0 ||
      rd.snapshot !== null ||
      (hs !== null && (prev === null || hs.term !== prev.term || hs.vote !== prev.vote));
    if (hs !== null) this.lastHard = hs;
    if (!mustSync) {
      if (hs !== null) this.unwrittenHard = hs;
      return;
    }
    const hardState = hs ?? this.unwrittenHard;
    this.unwrittenHard = null;
    await this.c.storage.persist({ snapshot: rd.snapshot, entries: rd.entries, hardState });
  }

  /**
   * Writes a commit-only hard state still waiting for a durable write to ride on. Best effort:
   * the commit index need not be durable, so a failure only costs a restart some re-applying.
   */
  private async flushHardState(): Promise<void> {
    const hardState = this.unwrittenHard;
    if (hardState === null) return;
    this.unwrittenHard = null;
    try {
      await this.c.storage.persist({ snapshot: null, entries: [], hardState });
    } catch (err) {
      this.c.logger.warn({ err }, 'could not write the last commit index at shutdown');
    }
  }

  private applyEntry(e: Entry): void {
    const result = this.c.stateMachine.apply(e);
    this.appliedIndex = e.index;
    const p = this.proposals.get(e.index);
    if (p === undefined) return;
    this.proposals.delete(e.index);
    // Another leader's entry took this index: the proposal was definitely not applied.
    if (p.term !== e.term)
      this.settleProposal(
        p,
        new RaftError('PROPOSAL_DROPPED', 'proposal overwritten by a new leader'),
      );
    else this.settleProposal(p, null, result);
  }

  /**
   * A leader change can lose a read-index request or its answer (a refusal sent in the old
   * term is dropped by nodes already in the new one). Reads not yet confirmed are failed with
   * NOT_LEADER so callers retry with the new leader at once; retrying a read is always safe.
   */
  private abandonUnconfirmedReads(): void {
    const leader = this.c.raft.status().leader;
    for (const [ctx, r] of this.reads) {
      if (r.index !== 0) continue;
      this.reads.delete(ctx);
      this.settleRead(
        r,
        new RaftError('NOT_LEADER', 'leader changed before the read was confirmed', leader),
      );
    }
  }

  private releaseReads(): void {
    for (const [ctx, r] of this.reads) {
      if (r.index > 0 && r.index <= this.appliedIndex) {
        this.reads.delete(ctx);
        this.settleRead(r, null);
      }
    }
  }

  private settleProposal(p: PendingProposal, err: Error | null, result?: unknown): void {
    clearTimeout(p.timer);
    if (err === null) p.resolve(result);
    else p.reject(err);
  }

  private settleRead(r: PendingRead, err: Error | null): void {
    clearTimeout(r.timer);
    if (err === null) r.resolve(r.index);
    else r.reject(err);
  }
}

function describeRole(role: string, leader: string | null, self: string): string {
  if (role === 'leader') return `${self} elected leader`;
  if (role === 'follower')
    return leader === null ? 'no leader known' : `following leader ${leader}`;
  return role === 'candidate' ? 'election started' : 'pre-vote started';
}

function overloaded(): RaftError {
  return new RaftError('PROPOSAL_DROPPED', 'too many pending requests; retry later');
}
