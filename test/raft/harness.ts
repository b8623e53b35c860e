// A tiny synchronous cluster for scripted Raft scenarios: messages are delivered in order,
// links can be cut, and each node persists its Ready to a MemoryStorage before sending.
import {
  defaultRaftOptions,
  MemoryStorage,
  RaftNode,
  type Config,
  type Entry,
  type Message,
  type RaftNodeOptions,
  type ReadState,
} from '../../src/raft/index.ts';

export function seededRandom(seed: number): { int(n: number): number } {
  let s = seed >>> 0 || 1;
  return {
    int(n: number): number {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      return s % n;
    },
  };
}

export interface TestNode {
  raft: RaftNode;
  storage: MemoryStorage;
  applied: Entry[];
  readStates: ReadState[];
  dropped: string[];
  snapshotsInstalled: number;
}

export class Cluster {
  readonly nodes = new Map<string, TestNode>();
  /** Links that drop messages: "from->to". */
  readonly cut = new Set<string>();
  queue: Message[] = [];
  readonly trace: Message[] = [];
  private readonly overrides: Partial<RaftNodeOptions>;

  constructor(ids: string[], overrides: Partial<RaftNodeOptions> = {}, config?: Config) {
    this.overrides = overrides;
    const cfg = config ?? { voters: ids, learners: [] };
    ids.forEach((id) => this.addNode(id, new MemoryStorage(cfg)));
  }

  addNode(id: string, storage: MemoryStorage): TestNode {
    const seed = [...id].reduce((a, c) => a * 31 + c.charCodeAt(0), 7);
    const opts: RaftNodeOptions = {
      ...defaultRaftOptions,
      id,
      random: seededRandom(seed),
      ...this.overrides,
    };
    const node: TestNode = {
      raft: new RaftNode(opts, storage.initialState()),
      storage,
      applied: [],
      readStates: [],
      dropped: [],
      snapshotsInstalled: 0,
    };
    this.nodes.set(id, node);
    return node;
  }

  node(id: string): TestNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  /** Crash and restart from what the node persisted. */
  restart(id: string): TestNode {
    const old = this.node(id);
    this.nodes.delete(id);
    this.queue = this.queue.filter((m) => m.to !== id);
    return this.addNode(id, old.storage);
  }

  isolate(id: string): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}->${other}`);
      this.cut.add(`${other}->${id}`);
    }
  }

  heal(): void {
    this.cut.clear();
  }

  /** Handle every node's Ready, then deliver queued messages until the network is quiet. */
  settle(maxRounds = 1000): void {
    for (let round = 0; round < maxRounds; round++) {
      this.drainReadies();
      if (this.queue.length === 0) return;
      const batch = this.queue;
      this.queue = [];
      for (const m of batch) {
        if (this.cut.has(`${m.from}->${m.to}`)) continue;
        this.nodes.get(m.to)?.raft.step(m);
      }
    }
    throw new Error('cluster did not settle');
  }

  tick(times = 1): void {
    for (let i = 0; i < times; i++) {
      for (const n of this.nodes.values()) n.raft.tick();
      this.settle();
    }
  }

  /** Tick until some node is leader; returns its id. */
  electLeader(maxTicks = 200): string {
    for (let i = 0; i < maxTicks; i++) {
      const l = this.leader();
      if (l !== null) return l;
      this.tick();
    }
    throw new Error('no leader elected');
  }

  leader(): string | null {
    const leaders = [...this.nodes.values()].filter((n) => n.raft.status().role === 'leader');
    const maxTerm = Math.max(0, ...leaders.map((n) => n.raft.status().term));
    const l = leaders.find((n) => n.raft.status().term === maxTerm);
    return l === undefined ? null : l.raft.id;
  }

  drainReadies(): void {
    for (const n of this.nodes.values()) {
      while (n.raft.hasReady()) {
        const rd = n.raft.ready();
        if (rd.snapshot !== null) {
          n.storage.saveSnapshot(rd.snapshot, true);
          n.snapshotsInstalled++;
        }
        n.storage.append(rd.entries);
        if (rd.hardState !== null) n.storage.setHardState(rd.hardState);
        for (const m of rd.messages) {
          this.trace.push(m);
          this.queue.push(m);
        }
        n.applied.push(...rd.committed);
        n.readStates.push(...rd.readStates);
        n.dropped.push(...rd.droppedReads);
        n.raft.advance();
      }
    }
  }
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (e: Entry): string =>
  e.type === 'normal' ? new TextDecoder().decode(e.data) : `conf:${e.change.type}:${e.change.node}`;
export const appliedData = (n: TestNode): string[] =>
  n.applied.filter((e) => e.type === 'conf' || e.data.byteLength > 0).map(dec);
