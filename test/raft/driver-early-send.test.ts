import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { RaftDriver } from '../../src/raft/driver.ts';
import {
  defaultRaftOptions,
  MemoryStorage,
  RaftNode,
  type Message,
  type Ready,
} from '../../src/raft/index.ts';
import { seededRandom } from './harness.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting: ${what}`);
    await sleep(2);
  }
}

test('the leader sends an entry to its followers while its own write is still running, and answers only after it', async () => {
  // Thesis §10.2.1: the leader's disk write runs in parallel with replication; the client is
  // answered once the entry is on the leader's disk too (nothing is acknowledged before).
  const ids = ['n1', 'n2', 'n3'];
  const config = { voters: ids, learners: [] };
  const drivers = new Map<string, RaftDriver>();
  const rafts = new Map<string, RaftNode>();
  const disks = new Map<string, MemoryStorage>();
  let holdLeader = false;
  let release: (() => void) | null = null;
  for (const [i, id] of ids.entries()) {
    const mem = new MemoryStorage(config);
    const raft = new RaftNode(
      { ...defaultRaftOptions, id, random: seededRandom(i + 11) },
      mem.initialState(),
    );
    const write = (rd: Ready): void => {
      mem.append(rd.entries);
      if (rd.hardState !== null) mem.setHardState(rd.hardState);
    };
    const persist = (rd: Ready): Promise<void> => {
      if (holdLeader && raft.status().role === 'leader' && rd.entries.length > 0) {
        return new Promise<void>((resolve) => {
          release = () => {
            write(rd);
            resolve();
          };
        });
      }
      write(rd);
      return Promise.resolve();
    };
    const send = (msgs: readonly Message[]): void => {
      for (const m of msgs) setImmediate(() => drivers.get(m.to)?.receive(m));
    };
    const driver = new RaftDriver(
      {
        raft,
        storage: { persist },
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
  try {
    const leaderId = (): string | undefined =>
      [...rafts.entries()].find(([, r]) => r.status().role === 'leader')?.[0];
    await until('a leader', () => leaderId() !== undefined);
    const id = leaderId() ?? '';
    const leader = drivers.get(id);
    assert.ok(leader !== undefined);
    await leader.propose(new TextEncoder().encode('warm-up'), 3_000);
    holdLeader = true;
    let answered = false;
    const proposal = leader.propose(new TextEncoder().encode('x'), 5_000).then((index) => {
      answered = true;
      return index;
    });
    const index = rafts.get(id)?.status().lastIndex ?? 0;
    const followers = ids.filter((f) => f !== id);
    await until('both followers stored the entry', () =>
      followers.every((f) => (disks.get(f)?.lastIndex() ?? 0) >= index),
    );
    assert.ok(release !== null, "the leader's own write is still running");
    assert.ok((disks.get(id)?.lastIndex() ?? 0) < index, 'not on the leader’s disk yet');
    await sleep(30);
    assert.equal(answered, false, 'no answer before the leader’s own write finished');
    holdLeader = false;
    const finish: () => void = release;
    finish();
    assert.equal(await proposal, index);
  } finally {
    for (const d of drivers.values()) d.stop();
  }
});
