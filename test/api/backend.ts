// A real ApiBackend over in-process Raft nodes (RaftNode + RaftDriver + MemoryStorage +
// ManagementState + IndexWatch) on in-memory links with real timers. A follower forwards
// proposals and membership changes by calling the leader's backend directly, as the agent
// forwards them over its transport.
import { pino } from 'pino';
import { collectMetrics } from '../../src/agent/metrics.ts';
import type {
  AgentMetrics,
  ApiBackend,
  ClusterInfo,
  GossipMemberInfo,
  PeerInfo,
  SnapshotInfo,
} from '../../src/api/backend.ts';
import { RaftDriver } from '../../src/raft/driver.ts';
import {
  defaultRaftOptions,
  MemoryStorage,
  RaftError,
  RaftNode,
  type ConfChange,
  type Message,
  type RaftStatus,
} from '../../src/raft/index.ts';
import {
  encodeCommand,
  IndexWatch,
  ManagementState,
  parseApplyResult,
  type ApplyResult,
  type Command,
} from '../../src/state/index.ts';

export const TICK_MS = 10;
export const silentLogger = pino({ level: 'silent' });

export function raftAddr(id: string): string {
  return `127.0.0.1:${12000 + Number(id.replace(/\D/g, '') || 0)}`;
}

class NodeBackend implements ApiBackend {
  readonly nodeId: string;
  readonly state = new ManagementState();
  readonly watch = new IndexWatch(64);
  readonly raft: RaftNode;
  readonly driver: RaftDriver;
  private readonly storage: MemoryStorage;
  private readonly cluster: ApiTestCluster;
  private lastLeaderContact = Date.now();

  constructor(id: string, storage: MemoryStorage, cluster: ApiTestCluster) {
    this.nodeId = id;
    this.storage = storage;
    this.cluster = cluster;
    let seed = [...id].reduce((a, c) => a * 31 + c.charCodeAt(0), 7) >>> 0;
    const random = {
      int: (max: number): number => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return (seed >>> 8) % max;
      },
    };
    this.raft = new RaftNode({ ...defaultRaftOptions, id, random }, storage.initialState());
    this.state.onApply(() => this.watch.notify());
    this.driver = new RaftDriver(
      {
        raft: this.raft,
        storage: { persist: (w) => Promise.resolve(storage.write(w)) },
        transport: { send: (msgs) => cluster.deliver(msgs) },
        stateMachine: this.state,
        logger: silentLogger,
      },
      { tickMs: TICK_MS, maxPendingRequests: 256 },
    );
  }

  receive(m: Message): void {
    // Only a leader sends these, so they are what "last contact" measures.
    if (m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap') {
      this.lastLeaderContact = Date.now();
    }
    this.driver.receive(m);
  }

  async propose(command: Command, timeoutMs: number): Promise<ApplyResult> {
    const leader = this.leaderBackend();
    if (leader !== this) {
      const result = await leader.propose(command, timeoutMs);
      // The contract is "applied here": catch the local replica up before answering.
      await this.readBarrier(timeoutMs).catch(() => undefined);
      return result;
    }
    return parseApplyResult(await this.driver.propose(encodeCommand(command), timeoutMs));
  }

  async readBarrier(timeoutMs: number): Promise<void> {
    await this.driver.readBarrier(timeoutMs);
  }

  raftStatus(): RaftStatus {
    return this.raft.status();
  }

  peers(): readonly PeerInfo[] {
    const cfg = this.raft.status().config;
    const addr = (id: string): string => cfg.addresses?.[id] ?? '';
    return [
      ...cfg.voters.map((id) => ({ id, raftAddr: addr(id), voter: true })),
      ...cfg.learners.map((id) => ({ id, raftAddr: addr(id), voter: false })),
    ];
  }

  leaderRaftAddr(): string | null {
    const s = this.raft.status();
    return s.leader === null ? null : (s.config.addresses?.[s.leader] ?? null);
  }

  lastContactMs(): number {
    return this.raft.status().role === 'leader' ? 0 : Date.now() - this.lastLeaderContact;
  }

  join(id: string, addr: string, timeoutMs: number): Promise<void> {
    return this.confChange({ type: 'addVoter', node: id, address: addr }, timeoutMs);
  }

  removePeer(id: string, timeoutMs: number): Promise<void> {
    return this.confChange({ type: 'remove', node: id }, timeoutMs);
  }

  triggerSnapshot(): Promise<SnapshotInfo> {
    try {
      const index = this.state.lastApplied;
      const snap = this.raft.createSnapshot(index, this.state.snapshot());
      this.storage.saveSnapshot(snap, false);
      const { term } = snap.meta;
      return Promise.resolve({ index, term, path: `memory://${this.nodeId}/snapshot-${index}` });
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** The in-process cluster stands in for gossip: live nodes alive, killed ones failed. */
  gossipMembers(): readonly GossipMemberInfo[] {
    return this.cluster.everyId().map((id) => {
      const [addr = '', port = '0'] = raftAddr(id).split(':');
      return {
        name: id,
        addr,
        port: Number(port) + 1000,
        status: this.cluster.live(id) === undefined ? 'failed' : 'alive',
        tags: { role: 'sappers', id, raft_addr: raftAddr(id) },
        cpuFreeMilli: null,
        memFreeBytes: null,
      };
    });
  }

  /** In-process links have no transports: only the Raft and membership gauges. */
  metrics(): AgentMetrics {
    return collectMetrics({
      raft: this.raft.status(),
      appliedIndex: this.state.lastApplied,
      raftTransport: null,
      gossip: null,
      members: this.gossipMembers(),
    });
  }

  clusterInfo(): ClusterInfo {
    const s = this.raft.status();
    const server = (id: string, voter: boolean): ClusterInfo['servers'][number] => ({
      id,
      address: s.config.addresses?.[id] ?? '',
      voter,
      matchIndex: id === s.id ? s.lastIndex : (s.progress?.[id]?.match ?? null),
      lastContactMs: id === s.id ? 0 : null,
      healthy: this.cluster.live(id) !== undefined,
    });
    return {
      clusterId: this.state.clusterId,
      leader: s.leader,
      term: s.term,
      commitIndex: s.commit,
      servers: [
        ...s.config.voters.map((id) => server(id, true)),
        ...s.config.learners.map((id) => server(id, false)),
      ],
    };
  }

  private async confChange(change: ConfChange, timeoutMs: number): Promise<void> {
    const leader = this.leaderBackend();
    if (leader !== this) return leader.confChange(change, timeoutMs);
    await this.driver.proposeConfChange(change, timeoutMs);
  }

  /** The leader's backend, this one when leading; NOT_LEADER when no leader is known. */
  private leaderBackend(): NodeBackend {
    const id = this.raft.status().leader;
    if (id === null) throw new RaftError('NOT_LEADER', 'no leader is known', null);
    if (id === this.nodeId) return this;
    const b = this.cluster.live(id);
    // A real forward to a dead leader would time out: the outcome is unknown to the caller.
    if (b === undefined) throw new RaftError('PROPOSAL_DROPPED', `leader ${id} unreachable`);
    return b;
  }
}

export class ApiTestCluster {
  private readonly nodes = new Map<string, NodeBackend>();
  private readonly ids: string[] = [];

  constructor(ids: readonly string[]) {
    const addresses = Object.fromEntries(ids.map((id) => [id, raftAddr(id)]));
    const config = { voters: [...ids], learners: [], addresses };
    this.ids.push(...ids);
    for (const id of ids) {
      const b = new NodeBackend(id, new MemoryStorage(config), this);
      this.nodes.set(id, b);
      b.driver.start();
    }
  }

  backend(id: string): NodeBackend {
    const b = this.nodes.get(id);
    if (b === undefined) throw new Error(`unknown node ${id}`);
    return b;
  }

  /** Every node this cluster started, killed or not. */
  everyId(): readonly string[] {
    return this.ids;
  }

  live(id: string): NodeBackend | undefined {
    return this.nodes.get(id);
  }

  kill(id: string): void {
    this.nodes.get(id)?.driver.stop();
    this.nodes.delete(id);
  }

  stopAll(): void {
    for (const id of [...this.nodes.keys()]) this.kill(id);
  }

  deliver(msgs: readonly Message[]): void {
    for (const m of msgs) setImmediate(() => this.nodes.get(m.to)?.receive(m));
  }

  /**
   * Resolves with the leader's id once every live node follows it and the leader has committed
   * an entry of its term (so proposals and membership changes are accepted at once).
   */
  async settled(timeoutMs = 5000): Promise<string> {
    return poll(timeoutMs, 'a settled leader', () => {
      const all = [...this.nodes.values()].map((b) => b.raft.status());
      const leader = all.find((s) => s.role === 'leader');
      if (leader === undefined || !all.every((s) => s.leader === leader.id)) return null;
      return leader.commit === leader.lastIndex && leader.applied === leader.commit
        ? leader.id
        : null;
    });
  }
}

/** Polls `probe` every tick until it returns non-null; fails the test after `timeoutMs`. */
export async function poll<T>(timeoutMs: number, what: string, probe: () => T | null): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== null) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
}
