// The Raft core: a deterministic state machine. Inputs are tick(), step() and the propose and
// read calls; output is a Ready value the driver persists, sends and applies, then advance().
// No timers, sockets, files or ambient randomness: time is ticks, randomness is injected.
//
// Membership uses single-server changes (thesis §4.1): a configuration takes effect as soon as
// its entry is appended, only one may be uncommitted, and a leader proposes one only after it
// has committed an entry of its own term (the fix for the single-server-change bug). Each conf
// entry carries the whole resulting configuration, so a new node needs no history to learn it.
import {
  applyChange,
  emptyConfig,
  hasQuorum,
  isMember,
  isVoter,
  members,
  quorumIndex,
} from './config.ts';
import { invariant, RaftError } from './errors.ts';
import { entryBytes, RaftLog } from './log.ts';
import type {
  AppendRequest,
  AppendResponse,
  Message,
  SnapshotChunk,
  VoteRequest,
  VoteResponse,
} from './messages.ts';
import { validateOptions, type RaftOptions } from './options.ts';
import { Progress } from './progress.ts';
import { ReadOnlyQueue } from './read-only.ts';
import type { EarlyReady, Ready } from './ready.ts';
import { SnapshotReceiver } from './snapshot-receiver.ts';
import type { LogReader } from './storage.ts';
import type {
  ConfChange,
  Config,
  Entry,
  HardState,
  InitialState,
  NodeId,
  ReadState,
  Role,
  Snapshot,
  SoftState,
} from './types.ts';

/** Test-only switches that re-introduce known Raft bugs, to prove the simulator catches them. */
export interface TestingBugs {
  /** Commit entries of earlier terms by counting replicas (Raft paper, Figure 8). */
  readonly commitPreviousTerm?: boolean;
}

export interface RaftNodeOptions extends RaftOptions {
  readonly testingBugs?: TestingBugs;
}

export interface ProgressStatus {
  readonly match: number;
  readonly next: number;
  readonly state: string;
  readonly recentActive: boolean;
}

export interface RaftStatus {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId | null;
  readonly role: Role;
  readonly leader: NodeId | null;
  readonly commit: number;
  readonly applied: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly lastTerm: number;
  readonly snapshotIndex: number;
  readonly config: Config;
  readonly progress: Record<NodeId, ProgressStatus> | null;
  readonly transferee: NodeId | null;
}

/** Reads that may wait for the leader's first commit in its term, and per leader. */
const maxPendingReads = 4096;
/** Committed entries handed out in one Ready, so one apply loop stays bounded. */
const maxCommittedPerReady = 4096;

interface ConfRecord {
  readonly index: number;
  readonly config: Config;
}

export class RaftNode {
  readonly id: NodeId;
  private readonly opts: RaftNodeOptions;
  private term: number;
  private vote: NodeId | null;
  private commit: number;
  private applied: number;
  private role: Role = 'follower';
  private leader: NodeId | null = null;
  private readonly log: RaftLog;
  private snapshot: Snapshot | null;
  /** Configurations in log order; the last one is in force. */
  private confs: ConfRecord[];
  private electionElapsed = 0;
  /** Ticks counted while leader; followers' last answers are measured against it. */
  private leaderTicks = 0;
  private transferElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTicks = 0;
  private readonly votes = new Map<NodeId, boolean>();
  private readonly progress = new Map<NodeId, Progress>();
  private transferee: NodeId | null = null;
  private uncommittedBytes = 0;
  private readonly readOnly = new ReadOnlyQueue(maxPendingReads);
  private readsAwaitingCommit: { context: string; from: NodeId }[] = [];
  private readonly receiver = new SnapshotReceiver();
  // Outputs collected for the next Ready.
  private msgs: Message[] = [];
  private readStates: ReadState[] = [];
  private droppedReads: string[] = [];
  private receivedSnapshot: Snapshot | null = null;
  // Leader: appends owed, built once per Ready so that every proposal and response since the
  // last one shares one AppendEntries per follower (and one carries the new commit index).
  private appendToAll = false;
  private readonly appendTo = new Set<NodeId>();
  private commitChanged = false;
  private prevHard: HardState;
  private prevSoft: SoftState;
  private inReady: {
    /** The last entry this Ready hands out for persistence (null: none). */
    written: { index: number; term: number } | null;
    /**
     * Its committed entries after this index wait for its write (Ready.stableIndex), and so
     * does every later committed entry: applies stay in order.
     */
    stableIndex: number;
    committedTo: number;
    hard: HardState;
    soft: SoftState;
    /** The Ready was a leader's whose messages could leave before its write (sendBeforePersist). */
    early: boolean;
  } | null = null;
  /** Committed entries handed out by earlyReady() during the Ready in flight. */
  private earlyCommittedTo = 0;
  /** Entries kept in memory behind the applied, stable index; null: all (no log reader). */
  private keepInMemory: number | null = null;

  constructor(options: RaftNodeOptions, initial: InitialState) {
    validateOptions(options);
    this.opts = options;
    this.id = options.id;
    const hs = initial.hardState;
    this.term = hs.term;
    this.vote = hs.vote;
    this.snapshot = initial.snapshot;
    const snapIndex = initial.snapshot?.meta.index ?? 0;
    const snapTerm = initial.snapshot?.meta.term ?? 0;
    const entries = initial.entries.filter((e) => e.index > snapIndex);
    invariant(
      entries.length === 0 || entries[0]?.index === snapIndex + 1,
      'gap between snapshot and log',
    );
    this.log = new RaftLog(snapIndex, snapTerm, entries);
    this.commit = Math.min(Math.max(hs.commit, snapIndex), this.log.lastIndex());
    this.applied = snapIndex;
    const base = initial.snapshot?.meta.config ?? initial.bootstrapConfig ?? emptyConfig;
    this.confs = [{ index: snapIndex, config: base }];
    for (const e of entries)
      if (e.type === 'conf') this.confs.push({ index: e.index, config: e.config });
    this.resetElectionTimeout();
    this.prevHard = this.hardState();
    this.prevSoft = this.softState();
  }

  // ---- inputs --------------------------------------------------------------------------------

  tick(): void {
    if (this.role === 'leader') this.tickLeader();
    else this.tickElection();
  }

  step(m: Message): void {
    if (m.to !== this.id || m.from === this.id) return;
    if (!this.checkTerm(m)) return;
    switch (m.type) {
      case 'vote':
      case 'preVote':
        this.handleVoteRequest(m);
        return;
      case 'voteResp':
      case 'preVoteResp':
        this.handleVoteResponse(m);
        return;
      case 'app':
      case 'heartbeat':
      case 'snap':
        this.acceptLeader(m.from);
        if (m.type === 'app') this.handleAppend(m);
        else if (m.type === 'heartbeat') this.handleHeartbeat(m.from, m.commit, m.readSeq);
        else this.handleSnapshotChunk(m);
        return;
      case 'timeoutNow':
        if (this.promotable()) this.hup(true);
        return;
      case 'readIndex':
        if (this.role === 'leader') this.handleReadIndex(m.context, m.from);
        else this.send({ type: 'readIndexResp', to: m.from, context: m.context, index: 0 });
        return;
      case 'readIndexResp':
        if (m.index === 0) this.droppedReads.push(m.context);
        else this.readStates.push({ index: m.index, context: m.context });
        return;
      case 'appResp':
      case 'heartbeatResp':
      case 'snapResp':
        if (this.role === 'leader') this.handleLeaderResponse(m);
        return;
    }
  }

  propose(data: Uint8Array): number {
    this.checkCanPropose();
    const bytes = data.byteLength + 16;
    if (
      this.uncommittedBytes > 0 &&
      this.uncommittedBytes + bytes > this.opts.maxUncommittedBytes
    ) {
      throw new RaftError('PROPOSAL_DROPPED', 'too many uncommitted bytes; retry later', this.id);
    }
    const index = this.log.lastIndex() + 1;
    this.appendAsLeader({ type: 'normal', term: this.term, index, data });
    return index;
  }

  proposeConfChange(change: ConfChange): number {
    this.checkCanPropose();
    if (this.confIndex() > this.commit) {
      throw new RaftError(
        'CONF_CHANGE_PENDING',
        'a configuration change is still uncommitted',
        this.id,
      );
    }
    if (this.log.termAt(this.commit) !== this.term) {
      throw new RaftError(
        'CONF_CHANGE_PENDING',
        'leader has not committed an entry of its term yet',
        this.id,
      );
    }
    const config = applyChange(this.config(), change);
    const index = this.log.lastIndex() + 1;
    this.appendAsLeader({ type: 'conf', term: this.term, index, change, config });
    return index;
  }

  readIndex(context: string): void {
    if (this.role === 'leader') this.handleReadIndex(context, this.id);
    else if (this.leader !== null) this.send({ type: 'readIndex', to: this.leader, context });
    else this.droppedReads.push(context);
  }

  transferLeadership(to: NodeId): void {
    if (this.role !== 'leader') throw this.notLeader();
    if (to === this.id) return;
    if (!isVoter(this.config(), to)) {
      throw new RaftError('INVALID_TRANSFER', `transfer target ${to}: not a voter`, this.id);
    }
    this.transferee = to;
    this.transferElapsed = 0;
    const pr = this.progress.get(to);
    if (pr !== undefined && pr.match === this.log.lastIndex())
      this.send({ type: 'timeoutNow', to });
    else this.sendAppend(to, false);
  }

  campaign(): void {
    this.hup(false);
  }

  /**
   * The transport saw the connection from `peer` end (on loopback or a LAN: the process died).
   * A follower whose leader that is forgets it, which ends its lease, and campaigns within the
   * next two ticks instead of a whole election timeout. Safe against a live leader: the
   * election starts with a pre-vote, which every voter that still hears the leader refuses.
   */
  connectionLost(peer: NodeId): void {
    if (this.role === 'leader' || this.leader !== peer || !this.opts.preVote) return;
    this.leader = null;
    // Every survivor sees the loss at once. They take turns a tick apart, in id order, so two
    // of them rarely campaign at the same moment and split the vote.
    const survivors = this.config()
      .voters.filter((v) => v !== peer)
      .sort();
    const remaining = 1 + Math.max(0, survivors.indexOf(this.id));
    this.electionElapsed = Math.max(this.electionElapsed, this.randomizedElectionTicks - remaining);
  }

  /**
   * Records a snapshot of the application's state at `index`, which it has applied: up to the
   * last advance(), or up to the committed entries of the Ready being handled (a driver may
   * apply those while the Ready's write runs).
   */
  createSnapshot(index: number, data: Uint8Array): Snapshot {
    const current = this.snapshot?.meta.index ?? 0;
    const applied = Math.max(this.applied, this.inReady?.committedTo ?? 0, this.earlyCommittedTo);
    if (index <= current || index > applied) {
      throw new RaftError(
        'SNAPSHOT_OUT_OF_RANGE',
        `snapshot index ${index} must be in (${current}, ${applied}]`,
      );
    }
    const term = this.log.termAt(index);
    invariant(term !== undefined, `snapshot index ${index} not in the log`);
    const snap: Snapshot = { meta: { index, term, config: this.configAt(index) }, data };
    this.snapshot = snap;
    return snap;
  }

  /**
   * Keeps in memory only the entries after `keepEntries` behind what is both applied and on
   * disk; older ones are read from `reader` when a lagging follower or a snapshot needs them.
   * Without this, every entry since the last compaction stays in memory. The agent does not
   * use it: with a 2,048-entry window the benchmark measured about 7% fewer writes/s
   * (docs/BENCHMARKS.md); the simulator runs a quarter of its seeds each with windows of 0, 2
   * and 8 entries.
   */
  setLogReader(reader: LogReader, keepEntries: number): void {
    if (!Number.isSafeInteger(keepEntries) || keepEntries < 0)
      throw new RangeError(`keepEntries must be a non-negative integer, got ${keepEntries}`);
    this.log.setReader(reader);
    this.keepInMemory = keepEntries;
  }

  /** First log index held in memory (older ones, back to the compaction point, are on disk). */
  inMemoryFrom(): number {
    return this.log.inMemoryFrom();
  }

  compact(index: number): void {
    const snapIndex = this.snapshot?.meta.index ?? 0;
    if (index > snapIndex) {
      throw new RaftError('SNAPSHOT_OUT_OF_RANGE', `compact ${index} beyond snapshot ${snapIndex}`);
    }
    this.log.compact(Math.min(index, this.log.lastIndex()));
    // Keep the configuration in force at the compaction point and everything after it.
    let keepFrom = 0;
    this.confs.forEach((c, i) => {
      if (c.index <= index) keepFrom = i;
    });
    this.confs = this.confs.slice(keepFrom);
  }

  // ---- output --------------------------------------------------------------------------------

  hasReady(): boolean {
    return (
      this.msgs.length > 0 ||
      this.appendsOwed() ||
      this.readStates.length > 0 ||
      this.droppedReads.length > 0 ||
      this.receivedSnapshot !== null ||
      this.log.hasUnhanded() ||
      this.commit > this.applied ||
      !sameHard(this.hardState(), this.prevHard) ||
      !sameSoft(this.softState(), this.prevSoft)
    );
  }

  ready(): Ready {
    invariant(this.inReady === null, 'ready() called twice without advance()');
    this.flushAppends();
    const hard = this.hardState();
    const soft = this.softState();
    const committedTo = Math.min(this.commit, this.applied + maxCommittedPerReady);
    // A leader's term and vote were persisted before it asked for votes, unless this very
    // Ready carries them (a single voter elects itself without a round trip).
    const early =
      this.role === 'leader' &&
      hard.term === this.prevHard.term &&
      hard.vote === this.prevHard.vote;
    const committed: Entry[] = [];
    for (let i = this.applied + 1; i <= committedTo; i++) committed.push(this.log.at(i));
    const stableIndex = this.log.stableIndex();
    const entries = this.log.handOut();
    const last = entries.at(-1);
    const rd: Ready = {
      softState: sameSoft(soft, this.prevSoft) ? null : soft,
      hardState: sameHard(hard, this.prevHard) ? null : hard,
      entries,
      snapshot: this.receivedSnapshot,
      committed,
      stableIndex,
      messages: this.msgs,
      sendBeforePersist: early,
      readStates: this.readStates,
      droppedReads: this.droppedReads,
    };
    this.msgs = [];
    this.readStates = [];
    this.droppedReads = [];
    this.receivedSnapshot = null;
    const written = last === undefined ? null : { index: last.index, term: last.term };
    this.inReady = { written, stableIndex, committedTo, hard, soft, early };
    return rd;
  }

  /**
   * What a leader may do while its Ready is being written, instead of waiting for advance():
   * send the appends owed since (when `sendAppends`), hand out the entries proposed since for a
   * write of their own (when `writeEntries`), and apply committed entries already on its disk.
   * Appends may leave before the leader's own write (thesis §10.2.1: its entries count only
   * once reported on disk), so followers start their writes at once. Entries handed out here
   * are written after the Ready in flight and every earlier such write (the driver keeps its
   * writes in order) and reported with entriesStable(), so a leader keeps several writes under
   * way instead of holding new proposals until the current write ends; a commit learned from
   * a follower's answer is applied at once rather than after the write in flight. Null when
   * there is nothing to do, no Ready in flight, or the node is not (or no longer) a leader
   * whose term and vote are on disk.
   */
  earlyReady(sendAppends: boolean, writeEntries = false): EarlyReady | null {
    const r = this.inReady;
    if (r === null || !r.early || this.role !== 'leader') return null;
    if (this.term !== r.hard.term || this.vote !== r.hard.vote) return null;
    // New entries go out now; a new commit index alone waits to ride on the next append.
    if (sendAppends && (this.appendToAll || this.appendTo.size > 0)) this.flushAppends();
    const entries = writeEntries ? this.log.handOut() : [];
    const from = Math.max(this.applied, r.committedTo, this.earlyCommittedTo);
    const held = r.committedTo > r.stableIndex;
    const to = held
      ? from
      : Math.min(this.commit, this.log.stableIndex(), from + maxCommittedPerReady);
    if (this.msgs.length === 0 && entries.length === 0 && to <= from) return null;
    const committed: Entry[] = [];
    for (let i = from + 1; i <= to; i++) committed.push(this.log.at(i));
    if (to > from) this.earlyCommittedTo = to;
    const messages = this.msgs;
    this.msgs = [];
    return { messages, committed, entries };
  }

  /**
   * The entries of an earlier earlyReady() up to (`index`, `term`) are on disk. A leader's own
   * entries count towards a quorum from now on. Ignored when the log was rewritten meanwhile
   * (RaftLog.markStable); reports that arrive after a later Ready's advance() change nothing.
   */
  entriesStable(index: number, term: number): void {
    const before = this.log.stableIndex();
    this.log.markStable(index, term);
    if (this.log.stableIndex() === before) return;
    if (this.role === 'leader' && this.maybeCommit()) this.commitChanged = true;
  }

  advance(): void {
    const r = this.inReady;
    invariant(r !== null, 'advance() without ready()');
    if (r.written !== null) this.log.markStable(r.written.index, r.written.term);
    this.applied = Math.max(this.applied, r.committedTo, this.earlyCommittedTo);
    this.earlyCommittedTo = 0;
    this.forgetOldEntries();
    // The leader's own entries count towards a quorum only now that they are on disk.
    if (this.role === 'leader' && this.maybeCommit()) this.commitChanged = true;
    this.prevHard = r.hard;
    this.prevSoft = r.soft;
    this.inReady = null;
  }

  /**
   * Drops applied, stable entries more than keepInMemory behind from memory, once as many
   * again have gathered (so each array copy is paid for by as many entries).
   */
  private forgetOldEntries(): void {
    if (this.keepInMemory === null) return;
    const upTo = Math.min(this.applied, this.log.stableIndex()) - this.keepInMemory;
    if (upTo - this.log.inMemoryFrom() + 1 > Math.max(this.keepInMemory, 1)) this.log.forget(upTo);
  }

  // Cheap single fields of status(), for per-request and per-apply paths (status() builds a
  // fresh record, with every follower's progress on a leader).
  currentTerm(): number {
    return this.term;
  }

  currentRole(): Role {
    return this.role;
  }

  currentLeader(): NodeId | null {
    return this.leader;
  }

  snapshotIndex(): number {
    return this.snapshot?.meta.index ?? 0;
  }

  status(): RaftStatus {
    let progress: Record<NodeId, ProgressStatus> | null = null;
    if (this.role === 'leader') {
      progress = {};
      for (const [id, pr] of this.progress) {
        progress[id] = {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          recentActive: this.isActive(id),
        };
      }
    }
    return {
      id: this.id,
      term: this.term,
      vote: this.vote,
      role: this.role,
      leader: this.leader,
      commit: this.commit,
      applied: this.applied,
      firstIndex: this.log.firstIndex(),
      lastIndex: this.log.lastIndex(),
      lastTerm: this.log.lastTerm(),
      snapshotIndex: this.snapshot?.meta.index ?? 0,
      config: this.config(),
      progress,
      transferee: this.transferee,
    };
  }

  // ---- terms and roles -----------------------------------------------------------------------

  /** Applies the term rules of §5.1 and the lease of §4.2.3; false means drop the message. */
  private checkTerm(m: Message): boolean {
    if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'preVote') {
        // A node that hears from a live leader ignores elections it did not cause (disruption).
        if (!m.force && this.inLease()) return false;
        if (m.type === 'preVote') return true;
      }
      if (m.type === 'preVoteResp' && m.granted) return true;
      const leader =
        m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap' ? m.from : null;
      this.becomeFollower(m.term, leader);
      return true;
    }
    if (m.term < this.term) {
      if (m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap') {
        // Tell a stale leader about the newer term so it steps down.
        this.send({
          type: 'appResp',
          to: m.from,
          success: false,
          index: 0,
          hintIndex: 0,
          hintTerm: 0,
        });
      } else if (m.type === 'preVote') {
        this.send({ type: 'preVoteResp', to: m.from, granted: false });
      }
      return false;
    }
    return true;
  }

  private inLease(): boolean {
    if (!this.opts.checkQuorum) return false;
    // A leader steps down by check-quorum, so while it leads it trusts its own lease.
    if (this.role === 'leader') return true;
    return this.leader !== null && this.electionElapsed < this.opts.electionTicks;
  }

  private becomeFollower(term: number, leader: NodeId | null): void {
    const wasLeader = this.role === 'leader';
    if (term !== this.term) {
      invariant(term > this.term, `term went back from ${this.term} to ${term}`);
      this.term = term;
      this.vote = null;
    }
    this.role = 'follower';
    this.leader = leader;
    this.resetTimers();
    if (wasLeader) this.stepDownCleanup();
  }

  private stepDownCleanup(): void {
    this.progress.clear();
    this.clearAppendsOwed();
    this.transferee = null;
    this.uncommittedBytes = 0;
    for (const r of this.readOnly.drain()) this.failRead(r.context, r.from);
    for (const r of this.readsAwaitingCommit) this.failRead(r.context, r.from);
    this.readsAwaitingCommit = [];
  }

  private failRead(context: string, from: NodeId): void {
    if (from === this.id) this.droppedReads.push(context);
    else this.send({ type: 'readIndexResp', to: from, context, index: 0 });
  }

  private acceptLeader(from: NodeId): void {
    if (this.role === 'leader') {
      invariant(false, `two leaders in term ${this.term}: ${this.id} and ${from}`);
    }
    if (this.role !== 'follower') this.becomeFollower(this.term, from);
    this.leader = from;
    this.electionElapsed = 0;
  }

  private promotable(): boolean {
    return isVoter(this.config(), this.id);
  }

  private resetTimers(): void {
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetElectionTimeout();
  }

  private resetElectionTimeout(): void {
    const n = this.opts.electionTicks;
    this.randomizedElectionTicks = n + this.opts.random.int(n);
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTicks) {
      this.electionElapsed = 0;
      this.hup(false);
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.leaderTicks++;
    if (this.opts.checkQuorum && !this.quorumActive()) {
      this.becomeFollower(this.term, null);
      return;
    }
    if (this.transferee !== null && ++this.transferElapsed >= this.opts.electionTicks) {
      this.transferee = null; // the target did not take over in time: accept proposals again
    }
    for (const [id, pr] of this.progress) {
      if (pr.state !== 'snapshot') continue;
      pr.snapIdleTicks++;
      if (pr.snapIdleTicks > 2 * this.opts.heartbeatTicks) this.sendSnapshotChunk(id, pr);
    }
    if (this.heartbeatElapsed >= this.opts.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.broadcastHeartbeat();
    }
  }

  /** Has a quorum of voters answered within the last election timeout (§6.2)? */
  private quorumActive(): boolean {
    return hasQuorum(this.config().voters, (id) => id === this.id || this.isActive(id));
  }

  private isActive(id: NodeId): boolean {
    const pr = this.progress.get(id);
    return pr !== undefined && this.leaderTicks - pr.lastActiveTick < this.opts.electionTicks;
  }

  // ---- elections (§5.2, pre-vote §9.6, transfer §3.10) -------------------------------------

  private hup(transfer: boolean): void {
    if (this.role === 'leader' || !this.promotable()) return;
    if (this.opts.preVote && !transfer) this.startElection('preCandidate', false);
    else this.startElection('candidate', transfer);
  }

  private startElection(role: 'preCandidate' | 'candidate', force: boolean): void {
    if (role === 'candidate') {
      this.term++;
      this.vote = this.id;
    }
    this.role = role;
    this.leader = null;
    this.resetTimers();
    this.votes.clear();
    this.votes.set(this.id, true);
    if (this.electionWon()) {
      this.advanceElection();
      return;
    }
    const type = role === 'candidate' ? 'vote' : 'preVote';
    const term = role === 'candidate' ? this.term : this.term + 1;
    for (const v of this.config().voters) {
      if (v === this.id) continue;
      this.msgs.push({
        type,
        from: this.id,
        to: v,
        term,
        lastIndex: this.log.lastIndex(),
        lastTerm: this.log.lastTerm(),
        force,
      });
    }
  }

  private electionWon(): boolean {
    return hasQuorum(this.config().voters, (id) => this.votes.get(id) === true);
  }

  private electionLost(): boolean {
    return hasQuorum(this.config().voters, (id) => this.votes.get(id) === false);
  }

  private advanceElection(): void {
    if (this.role === 'preCandidate') this.startElection('candidate', false);
    else this.becomeLeader();
  }

  private handleVoteRequest(m: VoteRequest): void {
    const pre = m.type === 'preVote';
    const canVote =
      this.vote === m.from ||
      (this.vote === null && this.leader === null) ||
      (pre && m.term > this.term);
    const granted = canVote && this.log.isUpToDate(m.lastIndex, m.lastTerm);
    if (granted && !pre) {
      this.vote = m.from;
      this.electionElapsed = 0;
    }
    const type = pre ? 'preVoteResp' : 'voteResp';
    // A granted pre-vote answers in the candidate's future term so it counts there.
    const term = pre && granted ? m.term : this.term;
    this.msgs.push({ type, from: this.id, to: m.from, term, granted });
  }

  private handleVoteResponse(m: VoteResponse): void {
    const expected =
      this.role === 'preCandidate' ? 'preVoteResp' : this.role === 'candidate' ? 'voteResp' : null;
    if (m.type !== expected) return;
    if (m.type === 'preVoteResp' && m.granted && m.term !== this.term + 1) return;
    if (m.type === 'voteResp' && m.term !== this.term) return;
    this.votes.set(m.from, m.granted);
    if (this.electionWon()) this.advanceElection();
    else if (this.electionLost()) this.becomeFollower(this.term, null);
  }

  private becomeLeader(): void {
    invariant(this.role === 'candidate', 'only a candidate becomes leader');
    this.role = 'leader';
    this.leader = this.id;
    this.resetTimers();
    this.progress.clear();
    this.clearAppendsOwed();
    for (const id of members(this.config())) this.addProgress(id);
    this.uncommittedBytes = 0;
    // A no-op of the new term lets the leader commit (and learn the commit index) quickly.
    this.appendAsLeader({
      type: 'normal',
      term: this.term,
      index: this.log.lastIndex() + 1,
      data: new Uint8Array(0),
    });
  }

  private addProgress(id: NodeId): void {
    if (id === this.id || this.progress.has(id)) return;
    const pr = new Progress(this.log.lastIndex() + 1);
    pr.lastActiveTick = this.leaderTicks;
    this.progress.set(id, pr);
  }

  // ---- configuration -------------------------------------------------------------------------

  private config(): Config {
    const last = this.confs[this.confs.length - 1];
    return last === undefined ? emptyConfig : last.config;
  }

  private confIndex(): number {
    return this.confs[this.confs.length - 1]?.index ?? 0;
  }

  private configAt(index: number): Config {
    let c = emptyConfig;
    for (const r of this.confs) if (r.index <= index) c = r.config;
    return c;
  }

  /** Appends an entry to the local log, tracking configuration changes it carries. */
  private appendLocal(e: Entry): void {
    this.log.append(e);
    if (e.type === 'conf') {
      this.confs.push({ index: e.index, config: e.config });
      if (this.role === 'leader') this.syncProgressWithConfig();
    }
  }

  private syncProgressWithConfig(): void {
    const c = this.config();
    for (const id of members(c)) this.addProgress(id);
    for (const id of [...this.progress.keys()]) if (!isMember(c, id)) this.progress.delete(id);
    if (this.transferee !== null && !isVoter(c, this.transferee)) this.transferee = null;
  }

  private truncateLocal(from: number): void {
    this.log.truncateFrom(from, this.commit);
    while (this.confs.length > 1 && (this.confs[this.confs.length - 1]?.index ?? 0) >= from)
      this.confs.pop();
  }

  // ---- replication (§5.3) --------------------------------------------------------------------

  private checkCanPropose(): void {
    if (this.role !== 'leader') throw this.notLeader();
    if (this.transferee !== null) {
      throw new RaftError(
        'TRANSFER_IN_PROGRESS',
        `leadership is moving to ${this.transferee}`,
        this.id,
      );
    }
  }

  private notLeader(): RaftError {
    return new RaftError('NOT_LEADER', `node ${this.id} is not the leader`, this.leader);
  }

  private appendAsLeader(e: Entry): void {
    this.appendLocal(e);
    this.uncommittedBytes += entryBytes(e);
    this.appendToAll = true;
  }

  private appendsOwed(): boolean {
    return (
      this.role === 'leader' && (this.appendToAll || this.commitChanged || this.appendTo.size > 0)
    );
  }

  private clearAppendsOwed(): void {
    this.appendToAll = false;
    this.commitChanged = false;
    this.appendTo.clear();
  }

  /**
   * Sends what is owed: new entries to every follower whose window is open, and the new commit
   * index to every follower (an empty append when there is nothing new for it).
   */
  private flushAppends(): void {
    if (!this.appendsOwed()) return;
    for (const id of this.progress.keys()) {
      let sent = false;
      if (this.appendToAll || this.appendTo.has(id)) sent = this.sendAppendsWhileOpen(id);
      if (!sent && this.commitChanged) this.sendAppend(id, true);
    }
    this.clearAppendsOwed();
  }

  private broadcastHeartbeat(): void {
    const readSeq = this.readOnly.currentSeq();
    for (const [id, pr] of this.progress) {
      this.send({ type: 'heartbeat', to: id, commit: Math.min(pr.match, this.commit), readSeq });
    }
  }

  /** Sends entries (or an empty probe when `allowEmpty`); returns true if a message went out. */
  private sendAppend(to: NodeId, allowEmpty: boolean): boolean {
    const pr = this.progress.get(to);
    if (pr === undefined || pr.isPaused(this.opts.maxInflightMsgs, this.opts.maxInflightBytes))
      return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.termAt(prevIndex);
    if (prevTerm === undefined || pr.next < this.log.firstIndex())
      return this.startSnapshot(to, pr);
    const last = this.log.lastIndex();
    const entries =
      pr.next <= last
        ? this.log.slice(pr.next, last, this.opts.maxEntriesPerMsg, this.opts.maxBytesPerMsg)
        : [];
    if (entries.length === 0 && !allowEmpty) return false;
    const msg: Omit<AppendRequest, 'from' | 'term'> = {
      type: 'app',
      to,
      prevIndex,
      prevTerm,
      entries,
      commit: this.commit,
    };
    this.send(msg);
    let bytes = 0;
    for (const e of entries) bytes += entryBytes(e);
    pr.sent(prevIndex + entries.length, bytes, entries.length);
    return true;
  }

  /** Returns true if at least one append went out. */
  private sendAppendsWhileOpen(to: NodeId): boolean {
    // Bounded by the in-flight limits: sendAppend returns false once the window is full.
    let i = 0;
    while (i < this.opts.maxInflightMsgs && this.sendAppend(to, false)) i++;
    return i > 0;
  }

  private startSnapshot(to: NodeId, pr: Progress): boolean {
    const snap = this.snapshot;
    invariant(snap !== null, `log compacted below ${pr.next} without a snapshot`);
    pr.becomeSnapshot(snap.meta.index);
    this.sendSnapshotChunk(to, pr);
    return true;
  }

  private sendSnapshotChunk(to: NodeId, pr: Progress): void {
    const snap = this.snapshot;
    if (snap === null) return;
    if (snap.meta.index !== pr.snapIndex) pr.becomeSnapshot(snap.meta.index);
    const end = Math.min(pr.snapOffset + this.opts.snapshotChunkBytes, snap.data.byteLength);
    const msg: Omit<SnapshotChunk, 'from' | 'term'> = {
      type: 'snap',
      to,
      meta: snap.meta,
      offset: pr.snapOffset,
      totalBytes: snap.data.byteLength,
      data: snap.data.subarray(pr.snapOffset, end),
      done: end >= snap.data.byteLength,
    };
    this.send(msg);
    pr.snapIdleTicks = 0;
  }

  private handleAppend(m: AppendRequest): void {
    if (m.prevIndex < this.commit) {
      this.send({
        type: 'appResp',
        to: m.from,
        success: true,
        index: this.commit,
        hintIndex: 0,
        hintTerm: 0,
      });
      return;
    }
    if (!this.log.matchTerm(m.prevIndex, m.prevTerm)) {
      const hint = this.log.findConflictByTerm(
        Math.min(m.prevIndex, this.log.lastIndex()),
        m.prevTerm,
      );
      const hintTerm = this.log.termAt(hint) ?? 0;
      this.send({
        type: 'appResp',
        to: m.from,
        success: false,
        index: m.prevIndex,
        hintIndex: hint,
        hintTerm,
      });
      return;
    }
    for (const e of m.entries) {
      const t = this.log.termAt(e.index);
      if (t === e.term) continue;
      if (t !== undefined) this.truncateLocal(e.index);
      this.appendLocal(e);
    }
    const lastNew = m.prevIndex + m.entries.length;
    this.commitTo(Math.min(m.commit, lastNew));
    this.send({
      type: 'appResp',
      to: m.from,
      success: true,
      index: lastNew,
      hintIndex: 0,
      hintTerm: 0,
    });
  }

  private handleHeartbeat(from: NodeId, commit: number, readSeq: number): void {
    this.commitTo(Math.min(commit, this.log.lastIndex()));
    this.send({ type: 'heartbeatResp', to: from, readSeq });
  }

  private handleSnapshotChunk(m: SnapshotChunk): void {
    const reply = (offset: number, done: boolean): void =>
      this.send({ type: 'snapResp', to: m.from, snapIndex: m.meta.index, offset, done });
    if (m.meta.index <= this.commit) {
      this.receiver.reset();
      reply(m.totalBytes, true);
      return;
    }
    const r = this.receiver.receive(m.meta, m.offset, m.totalBytes, m.data, m.done);
    if (r.kind === 'need') {
      reply(r.offset, false);
      return;
    }
    this.installSnapshot(r.snapshot);
    reply(m.totalBytes, true);
  }

  private installSnapshot(snap: Snapshot): void {
    const { index, term, config } = snap.meta;
    if (this.log.matchTerm(index, term)) {
      // Our log already holds the snapshot's last entry: only the commit index moves.
      this.commitTo(index);
      return;
    }
    this.log.reset(index, term);
    this.commit = index;
    this.applied = index;
    this.snapshot = snap;
    this.confs = [{ index, config }];
    this.receivedSnapshot = snap;
  }

  private commitTo(index: number): void {
    if (index <= this.commit) return;
    invariant(
      index <= this.log.lastIndex(),
      `commit ${index} beyond last index ${this.log.lastIndex()}`,
    );
    this.commit = index;
  }

  private handleLeaderResponse(m: Message): void {
    const pr = this.progress.get(m.from);
    if (pr === undefined) return;
    pr.lastActiveTick = this.leaderTicks;
    if (m.type === 'appResp') this.handleAppendResponse(m, pr);
    else if (m.type === 'heartbeatResp') {
      pr.probeSent = false;
      // A lost append would otherwise stall a full window: free one slot and probe the tail.
      if (pr.state === 'replicate') pr.freeFirstInflight();
      // An empty append is a probe: a new follower whose `next` is past our log learns of us.
      if (pr.match < this.log.lastIndex()) this.sendAppend(m.from, true);
      this.readOnly.ack(m.from, m.readSeq);
      this.releaseReads();
    } else if (m.type === 'snapResp') {
      if (pr.state !== 'snapshot' || m.snapIndex !== pr.snapIndex) return;
      if (m.done) {
        pr.maybeUpdate(m.snapIndex);
        pr.becomeProbe();
        this.sendAppend(m.from, false);
      } else {
        pr.snapOffset = m.offset;
        this.sendSnapshotChunk(m.from, pr);
      }
    }
  }

  private handleAppendResponse(m: AppendResponse, pr: Progress): void {
    if (!m.success) {
      if (m.index === 0 && m.hintIndex === 0) return; // stale-term notice, handled by checkTerm
      const hint =
        m.hintTerm > 0 ? this.log.findConflictByTerm(m.hintIndex, m.hintTerm) : m.hintIndex;
      if (pr.maybeDecrease(m.index, hint)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from, true);
      }
      return;
    }
    const moved = pr.maybeUpdate(m.index);
    if (moved && pr.state === 'probe') pr.becomeReplicate();
    else if (pr.state === 'snapshot' && pr.match >= pr.snapIndex) pr.becomeProbe();
    if (moved && this.maybeCommit()) this.commitChanged = true;
    this.appendTo.add(m.from);
    if (m.from === this.transferee && pr.match === this.log.lastIndex()) {
      this.send({ type: 'timeoutNow', to: m.from });
    }
  }

  /** Advances the commit index to what a quorum matches, in the current term only (§5.4.2). */
  private maybeCommit(): boolean {
    const voters = this.config().voters;
    const q = quorumIndex(voters, (id) =>
      id === this.id ? this.log.stableIndex() : (this.progress.get(id)?.match ?? 0),
    );
    if (q <= this.commit) return false;
    const currentTermOnly = this.opts.testingBugs?.commitPreviousTerm !== true;
    if (currentTermOnly && this.log.termAt(q) !== this.term) return false;
    const firstInTerm = this.log.termAt(this.commit) !== this.term;
    for (let i = this.commit + 1; i <= q; i++) {
      const e = this.log.at(i);
      if (e.term === this.term)
        this.uncommittedBytes = Math.max(0, this.uncommittedBytes - entryBytes(e));
    }
    this.commit = q;
    if (firstInTerm && this.log.termAt(q) === this.term) this.flushReadsAwaitingCommit();
    if (!isVoter(this.config(), this.id) && this.commit >= this.confIndex()) this.stepDownRemoved();
    return true;
  }

  /** A leader removed from the voters hands off after its removal commits (thesis §4.2.2). */
  private stepDownRemoved(): void {
    let best: NodeId | null = null;
    let bestMatch = -1;
    for (const v of this.config().voters) {
      const m = this.progress.get(v)?.match ?? 0;
      if (m > bestMatch) {
        best = v;
        bestMatch = m;
      }
    }
    if (best !== null && bestMatch === this.log.lastIndex())
      this.send({ type: 'timeoutNow', to: best });
    this.becomeFollower(this.term, null);
  }

  // ---- linearizable reads (§6.4) ---------------------------------------------------------------

  private handleReadIndex(context: string, from: NodeId): void {
    if (this.log.termAt(this.commit) !== this.term) {
      if (this.readsAwaitingCommit.length >= maxPendingReads) this.failRead(context, from);
      else this.readsAwaitingCommit.push({ context, from });
      return;
    }
    if (!this.readOnly.add(this.commit, context, from)) {
      this.failRead(context, from);
      return;
    }
    this.releaseReads();
    if (this.readOnly.hasPending()) this.broadcastHeartbeat();
  }

  private flushReadsAwaitingCommit(): void {
    const waiting = this.readsAwaitingCommit;
    this.readsAwaitingCommit = [];
    for (const r of waiting) this.handleReadIndex(r.context, r.from);
  }

  private releaseReads(): void {
    for (const r of this.readOnly.release(this.config().voters, this.id)) {
      if (r.from === this.id) this.readStates.push({ index: r.index, context: r.context });
      else this.send({ type: 'readIndexResp', to: r.from, context: r.context, index: r.index });
    }
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private send(m: DistributiveOmit<Message, 'from' | 'term'>): void {
    this.msgs.push({ ...m, from: this.id, term: this.term });
  }

  private hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.commit };
  }

  private softState(): SoftState {
    return { leader: this.leader, role: this.role };
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function sameHard(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

function sameSoft(a: SoftState, b: SoftState): boolean {
  return a.leader === b.leader && a.role === b.role;
}
