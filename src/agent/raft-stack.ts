// The Raft part of an agent (core, driver, snapshotter) built from an initial state, and the
// first log a new cluster starts from. An agent that bootstraps by gossip swaps its empty stack
// for one built on the bootstrap log; everything else reaches the current stack through a getter.
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import {
  defaultRaftOptions,
  RaftNode,
  type Entry,
  type InitialState,
  type Message,
} from '../raft/index.ts';
import { RaftDriver } from '../raft/driver.ts';
import { bootstrapEntries } from '../cluster/bootstrap-log.ts';
import type { ManagementState } from '../state/index.ts';
import type { DurableRaftStorage } from '../storage/index.ts';
import type { AgentOptions } from './options.ts';
import { Snapshotter } from './snapshotter.ts';

/** Maximum requests (proposals + reads) a node holds waiting at once. */
const maxPendingRequests = 16_384;

export interface RaftStack {
  readonly raft: RaftNode;
  readonly driver: RaftDriver;
  readonly snapshotter: Snapshotter;
}

export interface StackComponents {
  readonly opts: AgentOptions;
  readonly storage: DurableRaftStorage;
  readonly state: ManagementState;
  readonly transport: { send(messages: readonly Message[]): void };
  readonly logger: Logger;
}

export function isEmptyState(s: InitialState): boolean {
  return s.snapshot === null && s.entries.length === 0 && s.hardState.term === 0;
}

export function buildRaftStack(c: StackComponents, initial: InitialState): RaftStack {
  const { opts, storage, state, logger } = c;
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
  const snapshotter = new Snapshotter({
    raft,
    state,
    storage,
    logger,
    threshold: opts.snapshotThreshold,
    trailing: opts.snapshotTrailing,
  });
  const driver = new RaftDriver(
    {
      raft,
      storage,
      transport: c.transport,
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
    {
      tickMs: opts.tickMs,
      maxPendingRequests,
    },
  );
  return { raft, driver, snapshotter };
}

export interface Voter {
  readonly id: string;
  readonly raftAddr: string;
}

/**
 * Writes a new cluster's first log on an empty DATA_DIR: a configuration entry with `voters`
 * (hashicorp's BootstrapCluster, committed here because every voter starts from it) and the
 * cluster id, which commits with the first leader's no-op. Returns the state to start from.
 */
export async function writeBootstrapLog(
  storage: DurableRaftStorage,
  selfId: string,
  voters: readonly Voter[],
  clusterId: string,
): Promise<InitialState> {
  const { entries, hardState } = bootstrapEntries(selfId, voters, clusterId, Date.now());
  await storage.persist({
    hardState,
    entries,
    snapshot: null,
  });
  return storage.load();
}
