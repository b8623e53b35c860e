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

/** A Ready that changes nothing durable but the commit index. */
function commitOnly(rd: Ready, prevTerm: number, prevVote: string | null): boolean {
  const hs = rd.hardState;
  return (
    rd.entries.length === 0 &&
    rd.snapshot === null &&
    hs !== null &&
    hs.term === prevTerm &&
    hs.vote === prevVote
  );
}

test('a commit-index-only hard state is not waited for: replication goes on while it is written', async () => {
  // etcd's MustSync rule: only entries, snapshots, term and vote must be durable before the
  // node goes on. Storage that never finishes commit-only writes must not stall the cluster.
  const ids = ['n1', 'n2', 'n3'];
  const config = { voters: ids, learners: [] };
  const drivers = new Map<string, RaftDriver>();
  const rafts = new Map<string, RaftNode>();
  let hungWrites = 0;
  for (const [i, id] of ids.entries()) {
    const mem = new MemoryStorage(config);
    const raft = new RaftNode(
      { ...defaultRaftOptions, id, random: seededRandom(i + 1) },
      mem.initialState(),
    );
    let term = 0;
    let vote: string | null = null;
    const persist = (rd: Ready): Promise<void> => {
      if (commitOnly(rd, term, vote)) {
        hungWrites++;
        return new Promise<void>(() => undefined); // a disk that never acknowledges
      }
      mem.append(rd.entries);
      if (rd.hardState !== null) {
        mem.setHardState(rd.hardState);
        term = rd.hardState.term;
        vote = rd.hardState.vote;
      }
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
  }
  for (const d of drivers.values()) d.start();
  try {
    const leaderOf = (): RaftDriver | undefined => {
      const id = [...rafts.entries()].find(([, r]) => r.status().role === 'leader')?.[0];
      return id === undefined ? undefined : drivers.get(id);
    };
    let leader: RaftDriver | undefined;
    for (let i = 0; i < 400 && leader === undefined; i++) {
      await new Promise((r) => setTimeout(r, 5));
      leader = leaderOf();
    }
    assert.ok(leader !== undefined, 'a leader was elected');
    for (let i = 0; i < 20; i++) await leader.propose(new TextEncoder().encode(`w${i}`), 3_000);
    assert.ok(hungWrites > 0, 'some commit-only writes were issued (and never finished)');
  } finally {
    for (const d of drivers.values()) d.stop();
  }
});
