// N Raft nodes in one process on in-memory links with real timers: the embedded-defaults
// cluster that `npm start` runs. Each node persists to its own MemoryStorage, so a "killed"
// node restarts from exactly what it had made durable.
import type { Logger } from 'pino';
import {
  defaultRaftOptions,
  MemoryStorage,
  RaftNode,
  type Entry,
  type Message,
  type Snapshot,
} from '../raft/index.ts';
import { RaftDriver } from '../raft/driver.ts';

interface KvCommand {
  readonly key: string;
  readonly value: string;
}

class KvMachine {
  readonly data = new Map<string, string>();

  apply(e: Entry): unknown {
    if (e.type !== 'normal' || e.data.byteLength === 0) return null;
    const cmd = JSON.parse(new TextDecoder().decode(e.data)) as KvCommand;
    this.data.set(cmd.key, cmd.value);
    return e.index;
  }

  restore(s: Snapshot): void {
    this.data.clear();
    const obj = JSON.parse(new TextDecoder().decode(s.data)) as Record<string, string>;
    for (const [k, v] of Object.entries(obj)) this.data.set(k, v);
  }
}

interface LocalNode {
  readonly id: string;
  readonly storage: MemoryStorage;
  driver: RaftDriver | null;
  raft: RaftNode | null;
  kv: KvMachine;
}

export interface LocalClusterOptions {
  readonly ids: readonly string[];
  readonly tickMs: number;
  readonly logger: Logger;
  /** Seed for each node's election-timeout randomness. */
  readonly seed: number;
}

export class LocalCluster {
  private readonly nodes = new Map<string, LocalNode>();
  private readonly opts: LocalClusterOptions;

  constructor(options: LocalClusterOptions) {
    this.opts = options;
    const config = { voters: [...options.ids], learners: [] };
    for (const id of options.ids) {
      this.nodes.set(id, {
        id,
        storage: new MemoryStorage(config),
        driver: null,
        raft: null,
        kv: new KvMachine(),
      });
    }
  }

  start(id: string): void {
    const n = this.node(id);
    let state = this.opts.seed ^ hash(id);
    const random = {
      int: (max: number): number => {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        return (state >>> 8) % max;
      },
    };
    n.kv = new KvMachine();
    n.raft = new RaftNode({ ...defaultRaftOptions, id, random }, n.storage.initialState());
    const logger = this.opts.logger.child({ node: id });
    n.driver = new RaftDriver(
      {
        raft: n.raft,
        storage: { persist: (w) => Promise.resolve(n.storage.write(w)) },
        transport: { send: (msgs) => this.deliver(msgs) },
        stateMachine: n.kv,
        logger,
      },
      { tickMs: this.opts.tickMs, maxPendingRequests: 1024 },
    );
    n.driver.start();
  }

  kill(id: string): void {
    const n = this.node(id);
    n.driver?.stop();
    n.driver = null;
    n.raft = null;
  }

  leader(): string | null {
    for (const n of this.nodes.values()) {
      if (n.raft?.status().role === 'leader') return n.id;
    }
    return null;
  }

  async put(key: string, value: string, timeoutMs: number): Promise<number> {
    const id = this.leader();
    const d = id === null ? null : this.node(id).driver;
    if (d === null) throw new Error('no leader');
    const result = await d.propose(
      new TextEncoder().encode(JSON.stringify({ key, value })),
      timeoutMs,
    );
    return typeof result === 'number' ? result : 0;
  }

  /** A linearizable read through the node `id` (ReadIndex, then the local replica). */
  async get(id: string, key: string, timeoutMs: number): Promise<string | undefined> {
    const n = this.node(id);
    if (n.driver === null) throw new Error(`node ${id} is down`);
    await n.driver.readBarrier(timeoutMs);
    return n.kv.data.get(key);
  }

  stopAll(): void {
    for (const id of this.nodes.keys()) this.kill(id);
  }

  private deliver(msgs: readonly Message[]): void {
    for (const m of msgs) {
      setImmediate(() => this.nodes.get(m.to)?.driver?.receive(m));
    }
  }

  private node(id: string): LocalNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`unknown node ${id}`);
    return n;
  }
}

function hash(s: string): number {
  let h = 2166136261;
  for (const ch of s) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h;
}
