// Three RaftDrivers on MemoryStorage, messages delivered on the next turn of the event loop, for
// tests of how the driver schedules disk writes against sends and answers. Each test supplies
// the storage's persist (to hold or drop writes); everything else is the same.
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { RaftDriver } from '../../src/raft/driver.ts';
import {
  defaultRaftOptions,
  MemoryStorage,
  RaftNode,
  type Message,
  type RaftWrite,
} from '../../src/raft/index.ts';
import { seededRandom } from './harness.ts';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function until(what: string, cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting: ${what}`);
    await sleep(2);
  }
}

export type PersistOf = (mem: MemoryStorage, raft: RaftNode) => (rd: RaftWrite) => Promise<void>;

export interface DriverCluster {
  readonly ids: readonly string[];
  readonly drivers: ReadonlyMap<string, RaftDriver>;
  readonly rafts: ReadonlyMap<string, RaftNode>;
  readonly disks: ReadonlyMap<string, MemoryStorage>;
  /** The id of a node that believes it is leader, if any. */
  leaderId(): string | undefined;
  stop(): void;
}

/** Voters n1..n3, node i's randomness seeded with seedBase + i; the drivers are started. */
export function driverCluster(seedBase: number, persistOf: PersistOf): DriverCluster {
  const ids = ['n1', 'n2', 'n3'];
  const config = { voters: ids, learners: [] };
  const drivers = new Map<string, RaftDriver>();
  const rafts = new Map<string, RaftNode>();
  const disks = new Map<string, MemoryStorage>();
  for (const [i, id] of ids.entries()) {
    const mem = new MemoryStorage(config);
    const raft = new RaftNode(
      { ...defaultRaftOptions, id, random: seededRandom(seedBase + i) },
      mem.initialState(),
    );
    const send = (msgs: readonly Message[]): void => {
      for (const m of msgs) setImmediate(() => drivers.get(m.to)?.receive(m));
    };
    const driver = new RaftDriver(
      {
        raft,
        storage: { persist: persistOf(mem, raft) },
        transport: { send },
        stateMachine: { apply: (e) => e.index, restore: () => undefined },
        logger: pino({ level: 'silent' }),
      },
      { tickMs: 5, maxPendingRequests: 64 },
    );
    drivers.set(id, driver);
    rafts.set(id, raft);
    disks.set(id, mem);
  }
  for (const d of drivers.values()) d.start();
  return {
    ids,
    drivers,
    rafts,
    disks,
    leaderId: () => [...rafts.entries()].find(([, r]) => r.status().role === 'leader')?.[0],
    stop: () => {
      for (const d of drivers.values()) d.stop();
    },
  };
}
