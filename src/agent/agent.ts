// One Sappers node: durable storage, the Raft core and its driver, the TCP transport, the
// management database, gossip membership, bootstrap by gossip, the leader's duties and the HTTP
// API, started and stopped in dependency order.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createApiServer } from '../api/index.ts';
import {
  isMember,
  RaftError,
  type InitialState,
  type Message,
  type RaftNode,
} from '../raft/index.ts';
import { planDeparture } from '../cluster/departure.ts';
import { LeaderLoop } from '../cluster/leader-loop.ts';
import { GossipService } from '../cluster/gossip-service.ts';
import { advertisedBootstrapExpect, freeResources, type AgentMeta } from '../cluster/meta.ts';
import { Keyring } from '../gossip/wire/index.ts';
import { encodeCommand, IndexWatch, ManagementState } from '../state/index.ts';
import { openLmdbStorage, type DurableRaftStorage } from '../storage/index.ts';
import { formatHostPort } from '../transport/address.ts';
import { createTcpTransport, type TcpTransport } from '../transport/index.ts';
import { readAgentFile, removeAgentFile, writeAgentFile } from './agent-file.ts';
import { AgentBackend } from './backend.ts';
import { BootstrapWaiter } from '../cluster/bootstrap-waiter.ts';
import { ClusterView } from './cluster-view.ts';
import { Forwarder } from './forwarder.ts';
import type { AgentOptions } from './options.ts';
import { buildRaftStack, isEmptyState, writeBootstrapLog, type RaftStack } from './raft-stack.ts';

export interface AgentHandle {
  readonly raft: RaftNode;
  readonly httpAddr: string;
  readonly raftAddr: string;
  /** Graceful stop: hand over leadership, leave the configuration and gossip, flush, close. */
  stop(): Promise<void>;
}

/** Blocking queries held at once. */
const maxBlockingQueries = 4_096;
const transferWaitMs = 3_000;
const removeSelfWaitMs = 5_000;
const gossipLeaveWaitMs = 2_000;
const resourcesRefreshMs = 10_000;
const metaRefreshMs = 1_000;

export interface AgentHooks {
  /** DATA_DIR is verified to belong to this node and no other agent runs on it. */
  readonly onDataDirOwned?: () => void;
}

export async function startAgent(
  opts: AgentOptions,
  logger: Logger,
  hooks: AgentHooks = {},
): Promise<AgentHandle> {
  const owner = readAgentFile(opts.dataDir);
  if (owner !== null && owner.pid !== process.pid) {
    throw Object.assign(
      new Error(
        `${opts.dataDir} is in use by the running agent ${owner.nodeId} (pid ${owner.pid})`,
      ),
      { code: 'DATA_DIR_IN_USE' },
    );
  }
  const storage = await openLmdbStorage({ dataDir: opts.dataDir, nodeId: opts.nodeId, logger });
  hooks.onDataDirOwned?.();
  try {
    return await startWithStorage(opts, logger, storage);
  } catch (err) {
    await storage.close();
    throw err;
  }
}

async function startWithStorage(
  opts: AgentOptions,
  logger: Logger,
  storage: DurableRaftStorage,
): Promise<AgentHandle> {
  const raftAddr = formatHostPort(opts.raftAdvertise);
  const httpAddr = formatHostPort(opts.httpAdvertise);
  const loaded = await storage.load();
  const hadState = !isEmptyState(loaded);
  let initial: InitialState = loaded;
  let bootstrapClusterId: string | null = null;
  if (hadState) {
    if (opts.bootstrap > 0) logger.info('DATA_DIR has Raft state; --bootstrap ignored');
  } else if (opts.bootstrap === 1) {
    bootstrapClusterId = randomUUID();
    initial = await writeBootstrapLog(
      storage,
      opts.nodeId,
      [{ id: opts.nodeId, raftAddr }],
      bootstrapClusterId,
    );
    logger.info(
      { voters: [opts.nodeId], clusterId: bootstrapClusterId },
      'bootstrapped a new cluster',
    );
  } else if (opts.bootstrap === 0) {
    logger.info('empty DATA_DIR and no --bootstrap: waiting for a leader to add this node');
  }
  const waitsToBootstrap = !hadState && opts.bootstrap > 1;

  const state = new ManagementState();
  const watch = new IndexWatch(maxBlockingQueries);
  state.onApply(() => watch.notify());
  const view = new ClusterView(opts.nodeId);
  const forwarder = new Forwarder({ nodeId: opts.nodeId, logger });
  let stack: RaftStack | null = null;
  const current = (): RaftStack => {
    if (stack === null) throw new Error('raft is not running');
    return stack;
  };
  /** While a --bootstrap N>1 agent decides, Raft traffic waits (its empty log must stay so). */
  let holdRaft = waitsToBootstrap;
  let lastLeaderContact = Date.now();
  const transport: TcpTransport = createTcpTransport(
    {
      id: opts.nodeId,
      listen: opts.raftBind,
      advertise: raftAddr,
      peers: (id: string) => stack?.raft.status().config.addresses?.[id] ?? view.raftAddrOf(id),
    },
    {
      logger,
      onMessage: (m: Message) => {
        view.heard(m.from);
        if (m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap')
          lastLeaderContact = Date.now();
        if (!holdRaft) stack?.driver.receive(m);
      },
      onAppFrame: (from: string, payload: Uint8Array) => forwarder.receive(from, payload),
      onPeerDisconnected: (peer: string) => {
        forwarder.peerDisconnected(peer);
        if (!holdRaft) stack?.driver.connectionLost(peer);
      },
    },
  );
  forwarder.attach(transport);
  await transport.start();
  const stackComponents = { opts, storage, state, transport, logger };
  stack = buildRaftStack(stackComponents, initial);
  const backend = new AgentBackend({
    get raft() {
      return current().raft;
    },
    get driver() {
      return current().driver;
    },
    get snapshotter() {
      return current().snapshotter;
    },
    state,
    watch,
    forwarder,
    logger,
    lastContactMs: () => Date.now() - lastLeaderContact,
    view,
    transportStats: () => transport.stats(),
  });
  forwarder.serve(backend);
  current().driver.start();
  if (opts.bootstrap === 1 && !hadState) current().raft.campaign();
  const api = createApiServer({ backend, logger });
  await api.listen({
    host: opts.httpBind.host === '' ? '::' : opts.httpBind.host,
    port: opts.httpBind.port,
  });

  let resources = freeResources();
  const resourceTimer = setInterval(() => {
    resources = freeResources();
  }, resourcesRefreshMs);
  const meta = (): AgentMeta => {
    const s = stack?.raft.status();
    const hasState = hadState || (s !== undefined && (s.lastIndex > 0 || s.snapshotIndex > 0));
    return {
      nodeId: opts.nodeId,
      raftAddr,
      httpAddr,
      tags: opts.tags,
      ...resources,
      bootstrapExpect: advertisedBootstrapExpect(opts.bootstrap, hasState),
      hasState,
      clusterId: state.clusterId ?? bootstrapClusterId,
      leaderId: s?.leader ?? null,
    };
  };
  let gossip: GossipService;
  try {
    gossip = await GossipService.start({
      nodeId: opts.nodeId,
      bindHost: opts.gossipBind,
      port: opts.gossipPort,
      advertiseHost: opts.gossipAdvertise,
      join: opts.join,
      extraJoinTargets: () => state.members.list().map((r) => r.gossipAddr),
      keyring: opts.encryptKey === null ? undefined : new Keyring(opts.encryptKey),
      label: opts.gossipLabel ?? undefined,
      meta,
      logger,
      metaRefreshMs,
    });
  } catch (err) {
    clearInterval(resourceTimer);
    await closeAll(api, current(), transport, storage, logger);
    const e = err as Error & { code?: string };
    // Name the flag: "listen EADDRINUSE 0.0.0.0:7946" alone does not say which one to change.
    throw Object.assign(new Error(`--gossip-port ${opts.gossipPort}: ${e.message}`), {
      code: e.code,
      cause: err,
    });
  }
  view.attachGossip(gossip);

  const leaderLoop = new LeaderLoop({
    selfId: opts.nodeId,
    raftStatus: () => current().raft.status(),
    gossipPeers: () => gossip.members(),
    clusterId: () => state.clusterId,
    memberRows: () => state.members.list(),
    propose: (c, timeoutMs) => current().driver.propose(encodeCommand(c), timeoutMs),
    proposeConfChange: (c, timeoutMs) => current().driver.proposeConfChange(c, timeoutMs),
    autopilot: {
      targetVoters: opts.voters,
      stabilizationMs: opts.stabilizationMs,
      maxTrailingLogs: 250,
      failedGraceMs: opts.failedGraceMs,
      reapMs: opts.reapMs,
    },
    logger,
  });
  leaderLoop.start();

  const waiter = waitsToBootstrap
    ? new BootstrapWaiter({
        selfId: opts.nodeId,
        expect: opts.bootstrap,
        gossip,
        logger,
        onNever: () => {
          holdRaft = false;
          gossip.refreshMeta();
        },
        onBootstrap: async (voters) => {
          const old = current();
          await old.driver.shutdown();
          bootstrapClusterId = randomUUID();
          const init = await writeBootstrapLog(storage, opts.nodeId, voters, bootstrapClusterId);
          stack = buildRaftStack(stackComponents, init);
          holdRaft = false;
          current().driver.start();
          current().raft.campaign();
          logger.info(
            { voters: voters.map((v) => v.id), clusterId: bootstrapClusterId },
            'bootstrapped a new cluster',
          );
          gossip.refreshMeta();
        },
      })
    : null;
  waiter?.start();

  writeAgentFile(opts.dataDir, {
    nodeId: opts.nodeId,
    pid: process.pid,
    httpAddr,
    raftAddr,
    startedAt: new Date().toISOString(),
  });
  logger.info(
    { raftAddr, httpAddr, gossipAddr: gossip.address, dataDir: opts.dataDir },
    'agent started',
  );
  const stop = async (): Promise<void> => {
    waiter?.stop();
    leaderLoop.stop();
    clearInterval(resourceTimer);
    const s = current();
    await handOver(s.raft, logger);
    const cfg = s.raft.status().config;
    const departure = planDeparture({
      selfId: opts.nodeId,
      voters: cfg.voters,
      learners: cfg.learners,
      targetVoters: opts.voters,
      isAlive: (id) => view.isAlive(id),
    });
    if (departure.leave && s.raft.status().role !== 'leader') {
      // Gossip first: while gossip still says alive, the leader's autopilot would add us back
      // as a replica right after removing us.
      await gossip.leave(gossipLeaveWaitMs).catch((err: unknown) => {
        logger.warn({ err }, 'gossip leave failed');
      });
      await leaveConfiguration(s.raft, backend, departure.reason, logger);
    } else {
      logger.info({ reason: departure.reason }, 'stopping without leaving the cluster');
      await gossip.close();
    }
    await closeAll(api, s, transport, storage, logger);
    removeAgentFile(opts.dataDir, process.pid);
  };
  return {
    get raft() {
      return current().raft;
    },
    httpAddr,
    raftAddr,
    stop,
  };
}

async function handOver(raft: RaftNode, logger: Logger): Promise<void> {
  const s = raft.status();
  if (s.role !== 'leader' || s.progress === null) return;
  let best: string | null = null;
  let bestMatch = -1;
  for (const v of s.config.voters) {
    const m = s.progress[v]?.match ?? -1;
    if (v !== s.id && m > bestMatch) {
      best = v;
      bestMatch = m;
    }
  }
  if (best === null) return;
  logger.info({ to: best }, 'transferring leadership before shutdown');
  try {
    raft.transferLeadership(best);
  } catch (err) {
    logger.warn({ err }, 'leadership transfer refused');
    return;
  }
  const deadline = Date.now() + transferWaitMs;
  while (Date.now() < deadline && raft.status().role === 'leader') {
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A departing member asks the leader to remove it, so autopilot need not wait for gossip. */
async function leaveConfiguration(
  raft: RaftNode,
  backend: AgentBackend,
  reason: string,
  logger: Logger,
): Promise<void> {
  const s = raft.status();
  if (!isMember(s.config, s.id)) {
    logger.info('autopilot removed this node already');
    return;
  }
  logger.info({ node: s.id, reason }, 'asking the leader to remove this node before shutdown');
  try {
    await backend.removePeer(s.id, removeSelfWaitMs);
    logger.info({ node: s.id }, 'removed from the Raft configuration');
  } catch (err) {
    if (err instanceof RaftError && err.code === 'INVALID_CONF_CHANGE') {
      logger.info('autopilot removed this node already');
    } else {
      logger.warn({ err }, 'could not leave the Raft configuration; autopilot will');
    }
  }
}

async function closeAll(
  api: FastifyInstance,
  stack: RaftStack,
  transport: TcpTransport,
  storage: DurableRaftStorage,
  logger: Logger,
): Promise<void> {
  await api.close();
  await stack.driver.shutdown();
  await transport.stop();
  await storage.close();
  logger.info('agent stopped');
}
