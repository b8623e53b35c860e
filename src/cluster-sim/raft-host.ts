// One agent's Raft core with its in-memory "disk" and the real management database as the state
// machine, driven by the Ready contract (src/raft/ready.ts): persist entries and hard state,
// send, apply, advance. Persisting is synchronous, so a crash (dropping this object) keeps
// exactly what was persisted. Every step is reported to src/sim's InvariantChecker.
import {
  defaultRaftOptions,
  RaftNode,
  type Entry,
  type MemoryStorage,
  type Message,
  type NodeId,
  type Random,
  type Role,
} from '../raft/index.ts';
import type { InvariantChecker } from '../sim/invariants.ts';
import { storageLogView, type LogView } from '../sim/log-view.ts';
import { ManagementState } from '../state/index.ts';

export interface RaftHostEnv {
  readonly checker: InvariantChecker;
  send(m: Message): void;
  /** Entries were stored (for the cluster-origin check). */
  onPersistEntries(node: NodeId, entries: readonly Entry[]): void;
  trace(line: string): void;
}

export class RaftHost {
  readonly core: RaftNode;
  readonly state = new ManagementState();
  role: Role = 'follower';
  leader: NodeId | null = null;
  term: number;
  /** When this host last became leader (virtual ms). */
  leaderSinceMs = -1;
  private readonly id: NodeId;
  private readonly storage: MemoryStorage;
  private readonly env: RaftHostEnv;
  private readonly nowMs: () => number;

  constructor(
    id: NodeId,
    storage: MemoryStorage,
    random: Random,
    electionTicks: number,
    env: RaftHostEnv,
    nowMs: () => number,
  ) {
    this.nowMs = nowMs;
    this.id = id;
    this.storage = storage;
    this.env = env;
    const initial = storage.initialState();
    if (initial.snapshot !== null) throw new Error(`${id}: the simulator takes no snapshots`);
    this.core = new RaftNode({ ...defaultRaftOptions, id, electionTicks, random }, initial);
    this.term = initial.hardState.term;
    env.checker.onRestart(id, 0, initial.hardState.commit);
    this.process();
  }

  logView(): LogView {
    return storageLogView(this.storage);
  }

  tick(): void {
    this.core.tick();
    this.process();
  }

  step(m: Message): void {
    this.core.step(m);
    this.process();
  }

  /** Handles every pending Ready, in the order the contract prescribes. */
  process(): void {
    const { core, env } = this;
    const { checker } = env;
    while (core.hasReady()) {
      const rd = core.ready();
      if (rd.snapshot !== null) throw new Error(`${this.id}: unexpected snapshot`);
      const first = rd.entries[0];
      if (first !== undefined) {
        const before = termsFrom(this.logView(), first.index, checker.commitIndex);
        this.storage.append(rd.entries);
        checker.onPersistEntries(this.id, rd.entries, before, this.logView());
        env.onPersistEntries(this.id, rd.entries);
      }
      if (rd.hardState !== null) {
        const hs = rd.hardState;
        this.storage.setHardState(hs);
        checker.onPersistHardState(this.id, hs.term, hs.vote);
        checker.onCommit(this.id, hs.commit, hs.term, this.logView());
        this.term = hs.term;
      }
      if (rd.softState !== null) {
        if (rd.softState.role === 'leader' && this.role !== 'leader')
          this.leaderSinceMs = this.nowMs();
        this.role = rd.softState.role;
        this.leader = rd.softState.leader;
        env.trace(
          `${this.id} is ${this.role} in term ${this.term} (leader ${String(this.leader)})`,
        );
        if (this.role !== 'follower' && !core.status().config.voters.includes(this.id)) {
          checker.fail(`${this.id} became ${this.role} in term ${this.term} but is not a voter`);
        }
      }
      if (this.role === 'leader') checker.observeRole(this.id, this.term, true, this.logView());
      for (const m of rd.messages) env.send(m);
      for (const e of rd.committed) {
        this.state.apply(e);
        checker.onApply(this.id, e, this.state.events.head, null);
      }
      core.advance();
    }
  }
}

/** Terms a log holds from `from` up to `limit`, before a batch starting at `from` lands. */
function termsFrom(log: LogView, from: number, limit: number): (number | undefined)[] {
  const out: (number | undefined)[] = [];
  const last = Math.min(log.lastIndex, limit);
  for (let i = from; i <= last; i++) out.push(log.termAt(i));
  return out;
}
