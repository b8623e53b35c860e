// One Sappers node: durable storage, the Raft core and its driver, the TCP transport, the
// management database and the HTTP API, started and stopped in dependency order.
import { randomInt } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createApiServer } from '../api/index.ts';
import {
  defaultRaftOptions,
  RaftNode,
  type Entry,
  type InitialState,
  type Message,
} from '../raft/index.ts';
import { RaftDriver } from '../raft/driver.ts';
import { IndexWatch, ManagementState } from '../state/index.ts';
import { openLmdbStorage, type DurableRaftStorage } from '../storage/index.ts';
import { formatHostPort } from '../transport/address.ts';
import { createTcpTransport, type TcpTransport } from '../transport/index.ts';
import { readAgentFile, removeAgentFile, writeAgentFile } from './agent-file.ts';
import { AgentBackend } from './backend.ts';
import { Forwarder } from './forwarder.ts';
import type { AgentOptions } from './options.ts';
import { Snapshotter } from './snapshotter.ts';

export interface AgentHandle {
  readonly raft: RaftNode;
  readonly httpAddr: string;
  readonly raftAddr: string;
  /** Graceful stop: hand over leadership, flush, close. */
  stop(): Promise<void>;
}

/** Maximum requests (proposals + reads) a node holds waiting at once. */
const maxPendingRequests = 16_384;
/** Blocking queries held at once. */
const maxBlockingQueries = 4_096;
const transferWaitMs = 3_000;

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
  const initial = await initialStateFor(opts, storage, raftAddr, logger);
  const state = new ManagementState();
  const watch = new IndexWatch(maxBlockingQueries);
  state.onApply(() => watch.notify());
  if (initial.snapshot !== null) state.restore(initial.snapshot);
  const raft = new RaftNode(
    {
      ...defaultRaftOptions,
      id: opts.nodeId,
      electionTicks: opts.electionTicks,
      random: { int: (n: number): number => randomInt(n) },
    },
    initial,
  );
  let driver: RaftDriver | null = null;
  let lastContact = Date.now();
  const forwarder = new Forwarder({ nodeId: opts.nodeId, logger });
  const transport: TcpTransport = createTcpTransport(
    {
      id: opts.nodeId,
      listen: opts.raftBind,
      advertise: raftAddr,
      peers: (id: string) => raft.status().config.addresses?.[id],
    },
    {
      logger,
      onMessage: (m: Message) => {
        if (m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap')
          lastContact = Date.now();
        driver?.receive(m);
      },
      onAppFrame: (from: string, payload: Uint8Array) => forwarder.receive(from, payload),
    },
  );
  forwarder.attach(transport);
  await transport.start();
  const snapshotter = new Snapshotter({
    raft,
    state,
    storage,
    logger,
    threshold: opts.snapshotThreshold,
    trailing: opts.snapshotTrailing,
  });
  driver = new RaftDriver(
    {
      raft,
      storage,
      transport,
      stateMachine: {
        apply: (e: Entry) => {
          if (e.type === 'conf') {
            const { voters, learners } = e.config;
            logger.info(
              { index: e.index, change: e.change, voters, learners },
              'membership changed',
            );
          }
          const r = state.apply(e);
          snapshotter.afterApply();
          return r;
        },
        restore: (s) => {
          logger.info(
            { index: s.meta.index, term: s.meta.term },
            'installed a snapshot from the leader',
          );
          state.restore(s);
        },
      },
      logger,
    },
    { tickMs: opts.tickMs, maxPendingRequests },
  );
  const backend = new AgentBackend({
    raft,
    driver,
    state,
    watch,
    forwarder,
    snapshotter,
    logger,
    lastContactMs: () => Date.now() - lastContact,
  });
  forwarder.serve(backend);
  driver.start();
  const api = createApiServer({ backend, logger });
  await api.listen({
    host: opts.httpBind.host === '' ? '::' : opts.httpBind.host,
    port: opts.httpBind.port,
  });
  const httpAddr = formatHostPort(opts.httpAdvertise);
  writeAgentFile(opts.dataDir, {
    nodeId: opts.nodeId,
    pid: process.pid,
    httpAddr,
    raftAddr,
    startedAt: new Date().toISOString(),
  });
  logger.info({ raftAddr, httpAddr, dataDir: opts.dataDir }, 'agent started');
  const stop = async (): Promise<void> => {
    await handOver(raft, logger);
    await closeAll(api, driver, transport, storage, logger);
    removeAgentFile(opts.dataDir, process.pid);
  };
  return { raft, httpAddr, raftAddr, stop };
}

/** A new cluster starts from a committed configuration entry at index 1 (hashicorp style). */
async function initialStateFor(
  opts: AgentOptions,
  storage: DurableRaftStorage,
  raftAddr: string,
  logger: Logger,
): Promise<InitialState> {
  const loaded = await storage.load();
  const empty =
    loaded.snapshot === null && loaded.entries.length === 0 && loaded.hardState.term === 0;
  if (!empty) {
    if (opts.bootstrap > 0) logger.info('DATA_DIR has Raft state; --bootstrap ignored');
    return loaded;
  }
  if (opts.bootstrap === 0) {
    logger.info('empty DATA_DIR and no --bootstrap: waiting to be added to a cluster (POST /join)');
    return loaded;
  }
  const config = { voters: [opts.nodeId], learners: [], addresses: { [opts.nodeId]: raftAddr } };
  const entry: Entry = {
    type: 'conf',
    term: 1,
    index: 1,
    change: { type: 'addVoter', node: opts.nodeId, address: raftAddr },
    config,
  };
  const hardState = { term: 1, vote: opts.nodeId, commit: 1 };
  await storage.persist({
    softState: null,
    hardState,
    entries: [entry],
    snapshot: null,
    committed: [],
    messages: [],
    readStates: [],
    droppedReads: [],
  });
  logger.info({ voters: config.voters }, 'bootstrapped a new cluster');
  return storage.load();
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

async function closeAll(
  api: FastifyInstance,
  driver: RaftDriver,
  transport: TcpTransport,
  storage: DurableRaftStorage,
  logger: Logger,
): Promise<void> {
  await api.close();
  await driver.shutdown();
  await transport.stop();
  await storage.close();
  logger.info('agent stopped');
}
