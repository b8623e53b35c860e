// Raft's safety properties, checked incrementally as the simulation runs. The cluster reports
// what happens (entries persisted, commit indexes, applies, leaders) and the checker compares it
// with everything seen so far in the run; a violation throws with the seed, step and time.
//
// Log matching is checked locally per entry: for every (index, term) ever persisted anywhere we
// remember the entry's content and the term of its predecessor. If all copies of (i, t) agree
// on both, then by induction on i two logs holding (i, t) hold identical prefixes — so the
// per-entry check implies the whole-log property, across nodes and across time.
import type { Entry, NodeId, SnapshotMeta } from '../raft/types.ts';
import type { LogView } from './log-view.ts';

export interface Where {
  readonly seed: number;
  readonly step: number;
  readonly time: number;
}

export class InvariantViolation extends Error {
  readonly seed: number;
  readonly step: number;
  readonly time: number;
  readonly description: string;

  constructor(where: Where, description: string) {
    super(
      `invariant violated (seed ${where.seed}, step ${where.step}, t=${where.time}ms): ${description}`,
    );
    this.name = 'InvariantViolation';
    this.seed = where.seed;
    this.step = where.step;
    this.time = where.time;
    this.description = description;
  }
}

/** A string identifying an entry's content (not its position). */
export function fingerprint(e: Entry): string {
  if (e.type === 'conf') return `conf:${JSON.stringify(e.change)}:${JSON.stringify(e.config)}`;
  return `data:${Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength).toString('latin1')}`;
}

interface Persisted {
  readonly fp: string;
  /** Term of the entry before it, or -1 when that was not known (compacted). */
  prevTerm: number;
  readonly node: NodeId;
}

interface Applied {
  readonly term: number;
  readonly fp: string;
  readonly node: NodeId;
}

export class InvariantChecker {
  private readonly where: () => Where;
  private readonly termLeader = new Map<number, NodeId>();
  private readonly persisted = new Map<string, Persisted>();
  /** committed[i] = term of the entry committed at index i (sparse below snapshots). */
  private readonly committed: number[] = [];
  private maxCommitted = 0;
  /** commitTerm[i] = lowest term of a node seen committing index i (at least the leader's). */
  private readonly commitTerm: number[] = [];
  private readonly applied: (Applied | undefined)[] = [];
  /** KV state digest after applying index i. */
  private readonly stateAt: (string | undefined)[] = [];
  private readonly opIndex = new Map<string, number>();
  private readonly nodeCommit = new Map<NodeId, number>();
  private readonly nodeApplied = new Map<NodeId, number>();
  private readonly nodeHard = new Map<NodeId, { term: number; vote: NodeId | null }>();
  /** Per node, the term in which it was last seen as leader. */
  private readonly leaderTerm = new Map<NodeId, number>();
  checks = 0;

  constructor(where: () => Where) {
    this.where = where;
  }

  fail(description: string): never {
    throw new InvariantViolation(this.where(), description);
  }

  /** The highest index known to be committed. */
  get commitIndex(): number {
    return this.maxCommitted;
  }

  committedTerm(index: number): number | undefined {
    return this.committed[index];
  }

  /** Call whenever a node is seen with `role` in `term` (after every step it took part in). */
  observeRole(node: NodeId, term: number, isLeader: boolean, log: LogView): void {
    this.checks++;
    if (!isLeader) return;
    const other = this.termLeader.get(term);
    if (other !== undefined && other !== node) {
      this.fail(`two leaders in term ${term}: ${other} and ${node}`);
    }
    if (other === undefined) this.termLeader.set(term, node);
    if (this.leaderTerm.get(node) !== term) {
      this.leaderTerm.set(node, term);
      this.checkLeaderCompleteness(node, term, log);
    }
  }

  /** A new leader's log holds every entry committed so far (above its snapshot). */
  private checkLeaderCompleteness(node: NodeId, term: number, log: LogView): void {
    if (log.snapshotIndex > 0) {
      const t = this.committed[log.snapshotIndex];
      if (t !== undefined && t !== log.snapshotTerm) {
        this.fail(
          `leader ${node} (term ${term}) has snapshot at ${log.snapshotIndex} with term ` +
            `${log.snapshotTerm}, but term ${t} was committed there`,
        );
      }
    }
    for (let i = log.snapshotIndex + 1; i <= this.maxCommitted; i++) {
      const want = this.committed[i];
      if (want === undefined) continue;
      const have = log.termAt(i);
      if (have !== want) {
        this.fail(
          `leader completeness: ${node} became leader of term ${term} without committed entry ` +
            `${i} (term ${want}); its log has ${have === undefined ? 'nothing' : `term ${have}`} there`,
        );
      }
    }
  }

  /**
   * A node durably stored `entries`, truncating its log from the first one. `before` holds the
   * terms its log had from that index on (as far as the highest known commit) before the
   * append; `log` is its log after.
   *
   * A node may legitimately store a different entry at a committed index: a deposed leader
   * appends in its old term, and its followers (that were not part of the commit quorum) accept
   * that. But no leader of the term the entry was committed in, or of a later one, lacks it; and
   * a node that knows the index is committed never gives it up.
   */
  onPersistEntries(
    node: NodeId,
    entries: readonly Entry[],
    before: readonly (number | undefined)[],
    log: LogView,
  ): void {
    this.checks++;
    const first = entries[0];
    if (first === undefined) return;
    const commit = this.nodeCommit.get(node) ?? 0;
    let prevTerm = log.termAt(first.index - 1) ?? -1;
    for (const e of entries) {
      const want = this.committed[e.index];
      if (want !== undefined && want !== e.term) {
        const had = before[e.index - first.index];
        const inTerm = this.commitTerm[e.index] ?? Infinity;
        if (e.term >= inTerm) {
          this.fail(
            `committed entry lost: ${node} stored term ${e.term} at index ${e.index}, where term ` +
              `${want} was committed in term ${inTerm} (a leader of term ${e.term} lacked it)`,
          );
        }
        if (had === want && e.index <= commit) {
          this.fail(
            `committed entry lost: ${node} replaced committed entry ${e.index} (term ${want}, ` +
              `its commit is ${commit}) with term ${e.term}`,
          );
        }
      }
      this.checkLogMatching(node, e, prevTerm);
      prevTerm = e.term;
    }
    // Entries after the batch were truncated away.
    for (let k = entries.length; k < before.length; k++) {
      const index = first.index + k;
      const had = before[k];
      if (had !== undefined && had === this.committed[index] && index <= commit) {
        this.fail(
          `committed entry lost: ${node} truncated entry ${index} below its commit ${commit}`,
        );
      }
    }
  }

  private checkLogMatching(node: NodeId, e: Entry, prevTerm: number): void {
    const key = `${e.index}:${e.term}`;
    const fp = fingerprint(e);
    const seen = this.persisted.get(key);
    if (seen === undefined) {
      this.persisted.set(key, { fp, prevTerm, node });
      return;
    }
    if (seen.fp !== fp) {
      this.fail(
        `log matching: index ${e.index} term ${e.term} differs between ${seen.node} and ${node}`,
      );
    }
    if (prevTerm >= 0 && seen.prevTerm >= 0 && prevTerm !== seen.prevTerm) {
      this.fail(
        `log matching: entry ${e.index}@${e.term} follows term ${seen.prevTerm} on ${seen.node} ` +
          `but term ${prevTerm} on ${node}`,
      );
    }
    if (seen.prevTerm < 0) seen.prevTerm = prevTerm;
  }

  /** A node durably stored a snapshot. */
  onPersistSnapshot(node: NodeId, meta: SnapshotMeta): void {
    this.checks++;
    const want = this.committed[meta.index];
    if (want !== undefined && want !== meta.term) {
      this.fail(
        `snapshot at ${meta.index} on ${node} has term ${meta.term}; term ${want} was committed`,
      );
    }
    if (meta.index > this.maxCommitted) {
      this.fail(`${node} stored a snapshot at ${meta.index}, above any known commit`);
    }
  }

  /** A node durably stored a hard state: terms never go back, votes never change in a term. */
  onPersistHardState(node: NodeId, term: number, vote: NodeId | null): void {
    const prev = this.nodeHard.get(node);
    if (prev !== undefined) {
      if (term < prev.term) this.fail(`${node} persisted term ${term} after ${prev.term}`);
      if (term === prev.term && prev.vote !== null && vote !== prev.vote) {
        this.fail(`${node} changed its vote in term ${term} from ${prev.vote} to ${String(vote)}`);
      }
    }
    this.nodeHard.set(node, { term, vote });
  }

  /** A live node in `term` has commit index `commit`; `log` is its durable log. */
  onCommit(node: NodeId, commit: number, term: number, log: LogView): void {
    this.checks++;
    const prev = this.nodeCommit.get(node) ?? 0;
    if (commit < prev) this.fail(`commit index of ${node} went back from ${prev} to ${commit}`);
    if (commit === prev) return;
    if (commit > log.lastIndex) {
      this.fail(`${node} has commit ${commit} beyond its last stored index ${log.lastIndex}`);
    }
    for (let i = Math.max(prev + 1, log.snapshotIndex); i <= commit; i++) {
      const t = log.termAt(i);
      if (t === undefined) continue;
      const inTerm = this.commitTerm[i];
      if (inTerm === undefined || term < inTerm) this.commitTerm[i] = term;
      const want = this.committed[i];
      if (want === undefined) {
        this.committed[i] = t;
      } else if (want !== t) {
        this.fail(
          `committed entry changed: index ${i} was committed with term ${want}, ` +
            `now ${node} commits term ${t}`,
        );
      }
    }
    if (commit > this.maxCommitted) this.maxCommitted = commit;
    this.nodeCommit.set(node, commit);
  }

  /** A node (re)started: its volatile commit/applied tracking restarts from its disk. */
  onRestart(node: NodeId, applied: number, commit: number): void {
    this.nodeCommit.set(node, commit);
    this.nodeApplied.set(node, applied);
    this.leaderTerm.delete(node);
  }

  /** A node applied `e`; `stateDigest` is its state machine after it; `opId` its command's. */
  onApply(node: NodeId, e: Entry, stateDigest: string, opId: string | null): void {
    this.checks++;
    const last = this.nodeApplied.get(node) ?? 0;
    if (e.index !== last + 1) this.fail(`${node} applied index ${e.index} after ${last}`);
    this.nodeApplied.set(node, e.index);
    const commit = this.nodeCommit.get(node) ?? 0;
    if (e.index > commit) this.fail(`${node} applied ${e.index} beyond its commit ${commit}`);
    const want = this.committed[e.index];
    if (want !== undefined && want !== e.term) {
      this.fail(`${node} applied term ${e.term} at ${e.index}, where term ${want} was committed`);
    }
    const fp = fingerprint(e);
    const seen = this.applied[e.index];
    if (seen === undefined) {
      this.applied[e.index] = { term: e.term, fp, node };
    } else if (seen.term !== e.term || seen.fp !== fp) {
      this.fail(
        `state machine safety: index ${e.index} applied as ${seen.term}/${seen.fp.slice(0, 80)} ` +
          `on ${seen.node} but ${e.term}/${fp.slice(0, 80)} on ${node}`,
      );
    }
    this.checkState(node, e.index, stateDigest);
    if (opId !== null) {
      const at = this.opIndex.get(opId);
      if (at === undefined) this.opIndex.set(opId, e.index);
      else if (at !== e.index) this.fail(`op ${opId} applied at both ${at} and ${e.index}`);
    }
  }

  /** A node replaced its state machine with a snapshot taken at `meta.index`. */
  onRestoreSnapshot(node: NodeId, meta: SnapshotMeta, stateDigest: string): void {
    this.checks++;
    const last = this.nodeApplied.get(node) ?? 0;
    if (meta.index < last)
      this.fail(`${node} restored snapshot ${meta.index} below applied ${last}`);
    this.nodeApplied.set(node, meta.index);
    this.checkState(node, meta.index, stateDigest);
  }

  private checkState(node: NodeId, index: number, digest: string): void {
    const seen = this.stateAt[index];
    if (seen === undefined) this.stateAt[index] = digest;
    else if (seen !== digest) {
      this.fail(`state after index ${index} on ${node} is ${digest}, elsewhere ${seen}`);
    }
  }

  /** Where (if anywhere) the command of op `opId` was applied. */
  appliedIndexOf(opId: string): number | undefined {
    return this.opIndex.get(opId);
  }

  /** Every acknowledged mutation was applied at a committed index. */
  checkAcked(acked: Iterable<string>): void {
    for (const opId of acked) {
      const at = this.opIndex.get(opId);
      if (at === undefined) this.fail(`acknowledged op ${opId} was never applied`);
      if (at > this.maxCommitted) this.fail(`acknowledged op ${opId} at ${at} is not committed`);
    }
  }
}
