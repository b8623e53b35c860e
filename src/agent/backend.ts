// The HTTP API's view of this node: serves what it can locally, forwards the rest to the leader.
import type { Logger } from 'pino';
import type {
  AgentMetrics,
  ApiBackend,
  ClusterInfo,
  GossipMemberInfo,
  PeerInfo,
  SnapshotInfo,
} from '../api/backend.ts';
import {
  isMember,
  isVoter,
  RaftError,
  type ConfChange,
  type RaftNode,
  type RaftStatus,
} from '../raft/index.ts';
import type { RaftDriver } from '../raft/driver.ts';
import {
  decodeCommand,
  encodeCommand,
  parseApplyResult,
  type ApplyResult,
  type Command,
  type IndexWatch,
  type ManagementState,
} from '../state/index.ts';
import type { TransportStats } from '../transport/index.ts';
import type { ClusterView } from './cluster-view.ts';
import type { ForwardHandler, ForwardRequest, ForwardResult, Forwarder } from './forwarder.ts';
import { collectMetrics } from './metrics.ts';
import type { Snapshotter } from './snapshotter.ts';

export interface BackendComponents {
  readonly raft: RaftNode;
  readonly driver: RaftDriver;
  readonly state: ManagementState;
  readonly watch: IndexWatch;
  readonly forwarder: Forwarder;
  readonly snapshotter: Snapshotter;
  readonly logger: Logger;
  /** Milliseconds since the leader was last heard from. */
  readonly lastContactMs: () => number;
  /** Gossip members and per-peer Raft contact. */
  readonly view: ClusterView;
  /** Counters of the Raft TCP transport. */
  readonly transportStats: () => TransportStats;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** While there is no leader, requests wait this long between looks (bounded by their timeout). */
const leaderPollMs = 50;

export class AgentBackend implements ApiBackend, ForwardHandler {
  readonly nodeId: string;
  readonly state: ManagementState;
  readonly watch: IndexWatch;
  private readonly c: BackendComponents;

  constructor(c: BackendComponents) {
    this.c = c;
    this.nodeId = c.raft.id;
    this.state = c.state;
    this.watch = c.watch;
  }

  async propose(command: Command, timeoutMs: number): Promise<ApplyResult> {
    const bytes = encodeCommand(command);
    const local = (left: number): Promise<ForwardResult> =>
      this.c.driver.propose(bytes, left).then((r) => this.answer(asResult(r)));
    return (await this.onLeader(timeoutMs, local, { op: 'propose', command: bytes })).result;
  }

  async readBarrier(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.c.driver.readBarrier(Math.max(1, deadline - Date.now()));
        return;
      } catch (err) {
        if (
          !(err instanceof RaftError) ||
          err.code !== 'NOT_LEADER' ||
          Date.now() + leaderPollMs >= deadline
        )
          throw err;
        await sleep(leaderPollMs);
      }
    }
  }

  raftStatus(): RaftStatus {
    return this.c.raft.status();
  }

  peers(): readonly PeerInfo[] {
    const cfg = this.c.raft.status().config;
    const addr = (id: string): string => cfg.addresses?.[id] ?? '';
    return [
      ...cfg.voters.map((id) => ({ id, raftAddr: addr(id), voter: true })),
      ...cfg.learners.map((id) => ({ id, raftAddr: addr(id), voter: false })),
    ];
  }

  leaderRaftAddr(): string | null {
    const s = this.c.raft.status();
    return s.leader === null ? null : (s.config.addresses?.[s.leader] ?? null);
  }

  lastContactMs(): number {
    return this.c.raft.currentRole() === 'leader' ? 0 : this.c.lastContactMs();
  }

  async join(id: string, raftAddr: string, timeoutMs: number): Promise<void> {
    const local = (left: number): Promise<ForwardResult> =>
      this.joinAsLeader(id, raftAddr, left).then(() => this.answer(null));
    await this.onLeader(timeoutMs, local, { op: 'join', node: id, address: raftAddr });
  }

  async removePeer(id: string, timeoutMs: number): Promise<void> {
    const local = (left: number): Promise<ForwardResult> =>
      this.changeConfig({ type: 'remove', node: id }, left).then(() => this.answer(null));
    await this.onLeader(timeoutMs, local, { op: 'remove', node: id });
  }

  triggerSnapshot(): Promise<SnapshotInfo> {
    return this.c.snapshotter.snapshotNow();
  }

  gossipMembers(): readonly GossipMemberInfo[] {
    return this.c.view.members();
  }

  metrics(): AgentMetrics {
    return collectMetrics({
      raft: this.c.raft.status(),
      appliedIndex: this.c.state.lastApplied,
      raftTransport: this.c.transportStats(),
      gossip: this.c.view.gossipStats(),
      members: this.c.view.members(),
    });
  }

  clusterInfo(): ClusterInfo {
    const s = this.c.raft.status();
    const cfg = s.config;
    const server = (id: string, voter: boolean): ClusterInfo['servers'][number] => {
      const self = id === s.id;
      const pr = s.progress?.[id];
      return {
        id,
        address: cfg.addresses?.[id] ?? '',
        voter,
        matchIndex: self ? s.lastIndex : (pr?.match ?? null),
        lastContactMs: this.c.view.lastContactMs(id),
        healthy: self || (pr !== undefined ? pr.recentActive : this.c.view.isAlive(id)),
      };
    };
    return {
      clusterId: this.c.state.clusterId,
      leader: s.leader,
      term: s.term,
      commitIndex: s.commit,
      servers: [
        ...cfg.voters.map((id) => server(id, true)),
        ...cfg.learners.map((id) => server(id, false)),
      ],
    };
  }

  /** Requests forwarded from followers: served only while this node leads. */
  handleForwarded(req: ForwardRequest, timeoutMs: number): Promise<ForwardResult> {
    if (this.c.raft.currentRole() !== 'leader') {
      return Promise.reject(
        new RaftError(
          'NOT_LEADER',
          `${this.nodeId} is not the leader`,
          this.c.raft.currentLeader(),
        ),
      );
    }
    switch (req.op) {
      case 'propose':
        decodeCommand(req.command); // validate before it enters the log
        return this.c.driver.propose(req.command, timeoutMs).then((r) => this.answer(asResult(r)));
      case 'join':
        return this.joinAsLeader(req.node, req.address, timeoutMs).then(() => this.answer(null));
      case 'remove':
        return this.changeConfig({ type: 'remove', node: req.node }, timeoutMs).then(() =>
          this.answer(null),
        );
    }
  }

  private answer(result: ApplyResult): ForwardResult {
    return { result, index: this.c.state.lastApplied };
  }

  /**
   * A forwarded request is answered once this replica has applied what the leader had, so a
   * client that writes through this node and then reads it with ?stale sees its own write.
   */
  private async forward(
    leader: string,
    req: ForwardRequest,
    deadline: number,
  ): Promise<ForwardResult> {
    const r = await this.c.forwarder.request(leader, req, Math.max(1, deadline - Date.now()));
    // A node that asked to be removed never applies its removal: the leader stops replicating
    // to it as soon as the change is applied, so waiting for it would only wait out the deadline.
    const removedSelf = req.op === 'remove' && req.node === this.c.raft.status().id;
    const left = deadline - Date.now();
    if (left > 0 && !removedSelf) {
      await this.c.watch.wait(r.index - 1, () => this.c.state.lastApplied, left).catch(() => false);
    }
    return r;
  }

  /**
   * Runs `local` on the leader, or forwards `req` to it. While no leader is known (an election),
   * waits for one until the deadline; only definite rejections are retried, never unknowns.
   */
  private async onLeader(
    timeoutMs: number,
    local: (leftMs: number) => Promise<ForwardResult>,
    req: ForwardRequest,
  ): Promise<ForwardResult> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { raft } = this.c;
      const left = Math.max(1, deadline - Date.now());
      const leader = raft.currentLeader();
      try {
        if (raft.currentRole() === 'leader') return await local(left);
        if (leader !== null) return await this.forward(leader, req, deadline);
        throw new RaftError('NOT_LEADER', 'No cluster leader', null);
      } catch (err) {
        // All three are refusals before anything was appended; a transfer ends within an
        // election timeout, and then the new leader takes the request.
        const retry =
          err instanceof RaftError &&
          (err.code === 'NOT_LEADER' ||
            err.code === 'CONF_CHANGE_PENDING' ||
            err.code === 'TRANSFER_IN_PROGRESS');
        if (!retry || Date.now() + leaderPollMs >= deadline) throw err;
        await sleep(leaderPollMs);
      }
    }
  }

  /** Adds a node as a learner, waits until it has caught up, then promotes it (thesis §4.2.1). */
  private async joinAsLeader(id: string, raftAddr: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const cfg = this.c.raft.status().config;
    if (isVoter(cfg, id)) return;
    // Autopilot may add or promote the same node meanwhile: a change already made is success.
    if (!isMember(cfg, id))
      await this.changeConfigUnlessDone(
        { type: 'addLearner', node: id, address: raftAddr },
        () => isMember(this.c.raft.status().config, id),
        timeoutMs,
      );
    const target = this.c.raft.status().commit;
    while (Date.now() < deadline) {
      const s = this.c.raft.status();
      if (s.role !== 'leader')
        throw new RaftError('NOT_LEADER', 'leadership lost while adding a node', s.leader);
      if ((s.progress?.[id]?.match ?? 0) >= target) {
        await this.changeConfigUnlessDone(
          { type: 'promote', node: id },
          () => isVoter(this.c.raft.status().config, id),
          Math.max(1, deadline - Date.now()),
        );
        this.c.logger.info({ joined: id, address: raftAddr }, `${id} joined as a voter`);
        return;
      }
      await sleep(leaderPollMs);
    }
    throw new RaftError(
      'PROPOSAL_DROPPED',
      `node ${id} was added as a replica but did not catch up within ${timeoutMs} ms; join again to promote it`,
    );
  }

  private async changeConfigUnlessDone(
    change: ConfChange,
    done: () => boolean,
    timeoutMs: number,
  ): Promise<void> {
    if (done()) return;
    try {
      await this.changeConfig(change, timeoutMs);
    } catch (err) {
      if (err instanceof RaftError && err.code === 'INVALID_CONF_CHANGE' && done()) return;
      throw err;
    }
  }

  private async changeConfig(change: ConfChange, timeoutMs: number): Promise<void> {
    this.c.logger.info({ change }, 'proposing membership change');
    await this.c.driver.proposeConfChange(change, timeoutMs);
  }
}

function asResult(r: unknown): ApplyResult {
  return parseApplyResult(r);
}
