// One simulated server: a Raft core, its MemoryStorage "disk" and the KV state machine, driven
// exactly by the Ready contract (src/raft/ready.ts): persist snapshot, entries, hard state; then
// send; then restore, apply and serve reads; then advance(). A crash drops the core and the KV
// (and every request waiting on them) but keeps the storage; a restart rebuilds both from it.
import {
  MemoryStorage,
  RaftNode,
  type Config,
  type Entry,
  type Message,
  type NodeId,
  type RaftNodeOptions,
  type Ready,
  type Role,
} from '../raft/index.ts';
import type { InvariantChecker } from './invariants.ts';
import { Kv } from './kv.ts';
import { storageLogView, type LogView } from './log-view.ts';
import type { Prng } from './prng.ts';

/** How a request handed to a node ended. */
export type Outcome =
  | { readonly kind: 'applied'; readonly ok: boolean }
  | { readonly kind: 'read'; readonly value: string | null }
  | { readonly kind: 'dropped' }
  | { readonly kind: 'crashed' };

export type OutcomeCallback = (outcome: Outcome) => void;

/**
 * What a leader does while its Ready is written, besides applying what is committed on its
 * disk (RaftNode.earlyReady): nothing more; send the appends owed; or send them and start
 * writing the new entries too (pipelined writes). The real driver does the first.
 */
export type EarlyMode = 'none' | 'appends' | 'writes';

/** A write handed to the simulated disk; writes complete in the order they were started. */
interface DiskWrite {
  due: boolean;
  readonly complete: () => void;
}

export interface NodeEnv {
  readonly checker: InvariantChecker;
  send(m: Message): void;
  /** A conf entry was applied by this node (the harness tracks committed membership). */
  onConfApplied(node: NodeId, entry: Entry & { readonly type: 'conf' }): void;
  /** This node just became leader (of `term`). */
  onLeader(node: NodeId, term: number): void;
  /** This node, as leader, just advanced its commit index. */
  onLeaderCommit(node: NodeId, term: number, commit: number): void;
  trace(line: string): void;
  /** True to crash this node right after it persisted a Ready, before sending anything. */
  crashBeforeSend(node: NodeId): boolean;
  /** Counts an event for the run's coverage report. */
  count(what: string): void;
  /** What a leader does while its write is under way, besides applying (earlyReady). */
  readonly early: EarlyMode;
  /** Entries a core keeps in memory behind its applied, stable index (null: all). */
  readonly memoryLogKeep: number | null;
  /** How long this node's next disk write takes (0: it is done at once). */
  diskDelayMs(node: NodeId): number;
  /** Runs `fn` after `delayMs` of simulated time. */
  after(delayMs: number, fn: () => void): void;
}

export interface SnapshotPolicy {
  /** Applied entries between automatic snapshots. */
  readonly every: number;
  /** Entries kept in the log below the snapshot index when compacting. */
  readonly keep: number;
}

interface PendingRead {
  readonly key: string;
  readonly done: OutcomeCallback;
  /** Read index once the leader confirmed it; -1 while waiting for it. */
  index: number;
}

export class SimNode {
  readonly id: NodeId;
  readonly storage: MemoryStorage;
  private readonly env: NodeEnv;
  private readonly baseOptions: Omit<RaftNodeOptions, 'random'>;
  private readonly rng: Prng;
  private core: RaftNode | null = null;
  private kv = new Kv();
  private incarnation = 0;
  private readonly pendingOps = new Map<string, OutcomeCallback>();
  private readonly pendingReads = new Map<string, PendingRead>();
  /** A Ready whose write is under way (slow disk): its first `next` committed entries applied. */
  private inFlight: { readonly rd: Ready; readonly early: boolean; readonly next: number } | null =
    null;
  /** Writes under way, oldest first: the Ready's and a leader's early ones. */
  private disk: DiskWrite[] = [];
  /** Client callbacks produced while handling a Ready, run after advance() (no re-entrancy). */
  private deferred: (() => void)[] = [];
  /** Role, leader and term as reported by the last Ready (cheap to observe every step). */
  role: Role = 'follower';
  private lastCommit = 0;
  /** The highest commit index reported to the checker (applies may run ahead of the disk's). */
  private checkedCommit = 0;
  leader: NodeId | null = null;
  term = 0;
  snapshotPolicy: SnapshotPolicy;
  /** Ticks are delivered every `tickEvery` ms (slow nodes tick less often). */
  tickEvery: number;

  constructor(
    id: NodeId,
    storage: MemoryStorage,
    options: Omit<RaftNodeOptions, 'random'>,
    rng: Prng,
    env: NodeEnv,
    snapshotPolicy: SnapshotPolicy,
    tickEvery: number,
  ) {
    this.id = id;
    this.storage = storage;
    this.baseOptions = options;
    this.rng = rng;
    this.env = env;
    this.snapshotPolicy = snapshotPolicy;
    this.tickEvery = tickEvery;
  }

  get up(): boolean {
    return this.core !== null;
  }

  get applied(): number {
    return this.kv.applied;
  }

  /** The live core; throws when the node is down (callers check `up` first). */
  raft(): RaftNode {
    if (this.core === null) throw new Error(`node ${this.id} is down`);
    return this.core;
  }

  logView(): LogView {
    return storageLogView(this.storage);
  }

  kvGet(key: string): string | null {
    return this.kv.get(key);
  }

  /** Starts (or restarts) the node from its storage. */
  start(): void {
    if (this.core !== null) return;
    const initial = this.storage.initialState();
    const random = this.rng.fork(`incarnation:${this.incarnation++}`);
    this.core = new RaftNode({ ...this.baseOptions, random }, initial);
    const keep = this.env.memoryLogKeep;
    if (keep !== null) {
      const disk = this.storage;
      this.core.setLogReader(
        {
          entry: (index) => {
            this.env.count('logReadFromDisk');
            return disk.entry(index);
          },
        },
        keep,
      );
    }
    this.kv = new Kv();
    const snap = initial.snapshot;
    if (snap !== null) this.kv.restore(snap.data);
    this.term = initial.hardState.term;
    this.lastCommit = initial.hardState.commit;
    this.checkedCommit = Math.max(initial.hardState.commit, snap?.meta.index ?? 0);
    this.role = 'follower';
    this.leader = null;
    const commit = Math.max(initial.hardState.commit, snap?.meta.index ?? 0);
    this.env.checker.onRestart(this.id, this.kv.applied, commit);
    // The state machine rebuilt from the disk's snapshot matches what others had there.
    if (snap !== null) this.env.checker.onRestoreSnapshot(this.id, snap.meta, this.kv.digest());
    this.process();
  }

  /** Loses all volatile state; requests waiting here learn that the node crashed. */
  crash(): void {
    if (this.core === null) return;
    this.core = null;
    // Writes still under way never reach the disk.
    if (this.disk.length > 0) this.env.count('writeLost');
    this.inFlight = null;
    this.disk = [];
    this.kv = new Kv();
    this.role = 'follower';
    this.leader = null;
    const ops = [...this.pendingOps.values()];
    const reads = [...this.pendingReads.values()];
    this.pendingOps.clear();
    this.pendingReads.clear();
    // Replies not yet sent die with the process.
    this.deferred = [];
    for (const done of ops) done({ kind: 'crashed' });
    for (const r of reads) r.done({ kind: 'crashed' });
  }

  tick(): void {
    if (this.core === null) return;
    this.core.tick();
    this.process();
  }

  step(m: Message): void {
    if (this.core === null) return;
    this.core.step(m);
    this.process();
  }

  /** The connection from `peer` was reset (it crashed), as a TCP transport would report. */
  connectionLost(peer: NodeId): void {
    if (this.core === null) return;
    this.core.connectionLost(peer);
    this.process();
  }

  /** Proposes a KV command; `done` is called when this node applies it (or crashes). */
  propose(opId: string, data: Uint8Array, done: OutcomeCallback): number {
    const index = this.raft().propose(data);
    this.pendingOps.set(opId, done);
    this.process();
    return index;
  }

  /** Starts a linearizable read of `key`; `done` gets the value, or dropped/crashed. */
  read(context: string, key: string, done: OutcomeCallback): void {
    const core = this.raft();
    this.pendingReads.set(context, { key, done, index: -1 });
    core.readIndex(context);
    this.process();
  }

  /** Forgets a request the client gave up on (timeout), so a late result is not delivered. */
  forget(id: string): void {
    this.pendingOps.delete(id);
    this.pendingReads.delete(id);
  }

  /** Takes a snapshot of everything applied, if there is something new. */
  snapshotNow(): boolean {
    const core = this.core;
    if (core === null) return false;
    const applied = this.kv.applied;
    const current = this.storage.storedSnapshot()?.meta.index ?? 0;
    // A snapshot received from the leader may be on its way to the disk (a slow write).
    if (applied <= Math.max(current, core.status().snapshotIndex)) return false;
    const snap = core.createSnapshot(applied, this.kv.serialize());
    this.storage.saveSnapshot(snap, false);
    this.env.checker.onPersistSnapshot(this.id, snap.meta);
    const compactTo = Math.max(current, applied - this.snapshotPolicy.keep);
    core.compact(compactTo);
    this.storage.compact(compactTo);
    this.env.count('snapshotTaken');
    this.env.trace(
      `${this.id} snapshot at ${applied} (term ${snap.meta.term}), compact to ${compactTo}`,
    );
    return true;
  }

  /**
   * Handles every pending Ready, in the order the contract prescribes. With a slow disk a
   * Ready's write takes `diskDelayMs` of simulated time: the node keeps stepping messages
   * meanwhile, a leader sends and applies what it may before the write ends (earlyReady), as
   * the real driver does, and a crash before the write ends loses it.
   */
  process(): void {
    const core = this.core;
    if (core === null) return;
    if (this.inFlight !== null) {
      this.early(core);
    } else {
      while (core.hasReady()) {
        const rd = core.ready();
        // 0. A leader's messages may leave before its own write; a crash may then lose the write.
        const early = rd.sendBeforePersist === true;
        if (early) {
          for (const m of rd.messages) this.env.send(m);
          if (this.env.crashBeforeSend(this.id)) {
            this.env.count('crashAfterEarlySend');
            this.crash();
            return;
          }
        }
        const delayMs = this.env.diskDelayMs(this.id);
        if (delayMs <= 0 && this.disk.length === 0) {
          if (!this.complete(core, rd, early, 0)) return;
          continue;
        }
        // Committed entries on disk already are applied now.
        const durableTo = rd.snapshot !== null ? 0 : rd.stableIndex;
        let next = 0;
        while (next < rd.committed.length && (rd.committed[next]?.index ?? 0) <= durableTo) next++;
        this.applyCommitted(rd.committed.slice(0, next), rd.hardState?.term ?? this.term);
        const flight = { rd, early, next };
        this.inFlight = flight;
        this.env.count(delayMs > 0 ? 'slowWrite' : 'queuedWrite');
        this.startWrite(core, delayMs, () => {
          if (this.inFlight !== flight) return;
          this.inFlight = null;
          if (this.complete(core, rd, early, next)) this.process();
        });
        break;
      }
    }
    if (
      this.kv.applied - (this.storage.storedSnapshot()?.meta.index ?? 0) >=
      this.snapshotPolicy.every
    ) {
      this.snapshotNow();
    }
    if (this.deferred.length > 0) {
      const calls = this.deferred;
      this.deferred = [];
      for (const call of calls) call();
    }
  }

  /** While a leader's write is under way: what it may send, write and apply before it ends. */
  private early(core: RaftNode): void {
    const mode = this.env.early;
    const er = core.earlyReady(mode !== 'none', mode === 'writes');
    if (er === null) return;
    this.env.count('earlyReady');
    for (const m of er.messages) this.env.send(m);
    if (er.entries.length > 0) this.writeEarly(core, er.entries);
    if (er.committed.length > 0) this.env.count('earlyApply');
    this.applyCommitted(er.committed, core.status().term);
  }

  /** A leader's early write: its entries reach the disk after every earlier write. */
  private writeEarly(core: RaftNode, entries: readonly Entry[]): void {
    const first = entries[0];
    const last = entries.at(-1);
    if (first === undefined || last === undefined) return;
    this.env.count('earlyWrite');
    this.startWrite(core, this.env.diskDelayMs(this.id), () => {
      const { checker } = this.env;
      const before = termsFrom(this.logView(), first.index, checker.commitIndex);
      this.storage.append(entries);
      checker.onPersistEntries(this.id, entries, before, this.logView());
      core.entriesStable(last.index, last.term);
      this.process();
    });
  }

  /**
   * Starts a disk write that takes `delayMs` (0: at once, unless earlier writes are still
   * under way); `complete` runs once it and every earlier write are done, unless the node
   * crashed meanwhile.
   */
  private startWrite(core: RaftNode, delayMs: number, complete: () => void): void {
    const w: DiskWrite = { due: false, complete };
    this.disk.push(w);
    const done = (): void => {
      if (this.core !== core) return;
      w.due = true;
      while (this.core === core && this.disk[0]?.due === true) {
        const head = this.disk.shift();
        head?.complete();
      }
    };
    if (delayMs > 0) this.env.after(delayMs, done);
    else done();
  }

  /**
   * Applies committed entries (on disk here) ahead of the Ready that persists the commit index
   * (which may be persisted lower: it is written lazily); the checker learns they are committed.
   */
  private applyCommitted(entries: readonly Entry[], term: number): void {
    const last = entries.at(-1);
    if (last === undefined) return;
    if (last.index > this.checkedCommit) {
      this.env.checker.onCommit(this.id, last.index, term, this.logView());
      this.checkedCommit = last.index;
    }
    for (const e of entries) this.apply(e);
    this.serveReads();
  }

  /**
   * Steps 1-4 of one Ready whose first `applied` committed entries were applied already;
   * false if the node crashed on the way.
   */
  private complete(core: RaftNode, rd: Ready, early: boolean, applied: number): boolean {
    const { checker } = this.env;
    // 1. Persist.
    if (rd.snapshot !== null) {
      this.storage.saveSnapshot(rd.snapshot, true);
      checker.onPersistSnapshot(this.id, rd.snapshot.meta);
    }
    const first = rd.entries[0];
    if (first !== undefined) {
      const before = termsFrom(this.logView(), first.index, checker.commitIndex);
      this.storage.append(rd.entries);
      checker.onPersistEntries(this.id, rd.entries, before, this.logView());
    }
    if (rd.hardState !== null) {
      const hs = rd.hardState;
      this.storage.setHardState(hs);
      checker.onPersistHardState(this.id, hs.term, hs.vote);
      if (hs.commit > this.checkedCommit) {
        checker.onCommit(this.id, hs.commit, hs.term, this.logView());
        this.checkedCommit = hs.commit;
      } else if (hs.commit < this.lastCommit) {
        checker.fail(`${this.id} persisted commit ${hs.commit} after ${this.lastCommit}`);
      }
      if (this.role === 'leader' && rd.softState === null && hs.commit > this.lastCommit) {
        const { term, commit } = hs;
        this.deferred.push(() => this.env.onLeaderCommit(this.id, term, commit));
      }
      this.lastCommit = hs.commit;
      this.term = hs.term;
    }
    let elected = false;
    if (rd.softState !== null) {
      elected = rd.softState.role === 'leader' && this.role !== 'leader';
      this.role = rd.softState.role;
      this.leader = rd.softState.leader;
      this.env.trace(
        `${this.id} is ${this.role} in term ${this.term} (leader ${String(this.leader)})`,
      );
      if (this.role !== 'follower' && !core.status().config.voters.includes(this.id)) {
        checker.fail(`${this.id} became ${this.role} in term ${this.term} but is not a voter`);
      }
    }
    if (this.role === 'leader') checker.observeRole(this.id, this.term, true, this.logView());
    // A crash between persisting and sending: the disk has the Ready, nobody heard of it.
    if (!early && this.env.crashBeforeSend(this.id)) {
      this.crash();
      return false;
    }
    // 2. Send.
    if (!early) for (const m of rd.messages) this.env.send(m);
    // 3. Restore, apply, serve reads.
    if (rd.snapshot !== null) {
      const meta = rd.snapshot.meta;
      this.kv.restore(rd.snapshot.data);
      if (this.kv.applied !== meta.index) {
        checker.fail(
          `${this.id}: snapshot ${meta.index} carries state applied to ${this.kv.applied}`,
        );
      }
      checker.onRestoreSnapshot(this.id, meta, this.kv.digest());
      this.env.count('snapshotInstalled');
      this.env.trace(`${this.id} installed snapshot ${meta.index}@${meta.term}`);
    }
    for (let i = applied; i < rd.committed.length; i++) {
      const e = rd.committed[i];
      if (e !== undefined) this.apply(e);
    }
    if (elected) {
      const term = this.term;
      this.deferred.push(() => this.env.onLeader(this.id, term));
    }
    for (const rs of rd.readStates) {
      const r = this.pendingReads.get(rs.context);
      if (r !== undefined) r.index = rs.index;
    }
    for (const context of rd.droppedReads) this.finishRead(context, { kind: 'dropped' });
    this.serveReads();
    // 4. Advance.
    core.advance();
    return true;
  }

  private apply(e: Entry): void {
    let result = null;
    if (e.type === 'normal') {
      result = this.kv.apply(e.index, e.data);
    } else {
      this.kv.apply(e.index, null);
      this.env.onConfApplied(this.id, e);
    }
    this.env.checker.onApply(this.id, e, this.kv.digest(), result?.id ?? null);
    if (result !== null) {
      const done = this.pendingOps.get(result.id);
      if (done !== undefined) {
        this.pendingOps.delete(result.id);
        const ok = result.ok;
        this.deferred.push(() => done({ kind: 'applied', ok }));
      }
    }
  }

  private serveReads(): void {
    if (this.pendingReads.size === 0) return;
    for (const [context, r] of [...this.pendingReads]) {
      if (r.index >= 0 && r.index <= this.kv.applied) {
        this.env.count('readServed');
        this.finishRead(context, { kind: 'read', value: this.kv.get(r.key) });
      }
    }
  }

  private finishRead(context: string, outcome: Outcome): void {
    const r = this.pendingReads.get(context);
    if (r === undefined) return;
    this.pendingReads.delete(context);
    this.deferred.push(() => r.done(outcome));
  }
}

/**
 * Terms a log holds from `from` on, up to `limit` (the highest known commit: only committed
 * entries matter to the checker), before a batch starting at `from` overwrites them.
 */
function termsFrom(log: LogView, from: number, limit: number): (number | undefined)[] {
  const out: (number | undefined)[] = [];
  const last = Math.min(log.lastIndex, limit);
  for (let i = from; i <= last; i++) out.push(log.termAt(i));
  return out;
}

/** A fresh node's disk: members of the initial cluster know the bootstrap configuration. */
export function newStorage(bootstrap: Config | undefined): MemoryStorage {
  return new MemoryStorage(bootstrap);
}
