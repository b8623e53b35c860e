import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import {
  answeredLeader,
  Autopilot,
  defaultAutopilotConfig,
  LeaderLoop,
  planAutopilot,
  validateAutopilotConfig,
} from '../../src/cluster/index.ts';
import type {
  AgentMeta,
  AutopilotAction,
  AutopilotConfig,
  AutopilotObservation,
  GossipPeer,
} from '../../src/cluster/index.ts';
import type { ProgressStatus, RaftStatus } from '../../src/raft/index.ts';
import {
  afterAction,
  maxRemovedRemembered,
  nextRemoved,
} from '../../src/cluster/autopilot-rejoin.ts';
import type { RemovedMembers } from '../../src/cluster/autopilot-rejoin.ts';
import { input, testConfig } from './autopilot-fixture.ts';
import type { MemberSpec, World } from './autopilot-fixture.ts';

const three = { n1: {}, n2: {}, n3: {} };

interface Case {
  name: string;
  world: World;
  /** Expected action without its reason, or null. */
  want: { type: AutopilotAction['type']; id: string; raftAddr?: string } | null;
}

const cases: Case[] = [
  {
    name: 'a stable cluster at the target does nothing',
    world: { voters: ['n1', 'n2', 'n3'], members: three },
    want: null,
  },
  {
    name: 'nothing happens while a conf change is pending, even with work to do',
    world: { voters: ['n1'], pending: true, members: { n1: {}, n2: {} } },
    want: null,
  },
  {
    name: 'an alive agent of our cluster that is not a member is added as a learner',
    world: { voters: ['n1', 'n2', 'n3'], members: { ...three, n4: {} } },
    want: { type: 'addLearner', id: 'n4', raftAddr: '127.0.0.1:n4' },
  },
  {
    name: 'an agent with no cluster id yet is added as a learner',
    world: { voters: ['n1', 'n2', 'n3'], members: { ...three, n4: { clusterId: null } } },
    want: { type: 'addLearner', id: 'n4', raftAddr: '127.0.0.1:n4' },
  },
  {
    name: 'an agent of another cluster is never added',
    world: { voters: ['n1', 'n2', 'n3'], members: { ...three, n4: { clusterId: 'other' } } },
    want: null,
  },
  {
    name: 'an agent without an advertised raft address is not added',
    world: { voters: ['n1', 'n2', 'n3'], members: { ...three, n4: { raftAddr: null } } },
    want: null,
  },
  {
    name: 'a suspect or failed agent is not added',
    world: {
      voters: ['n1', 'n2', 'n3'],
      members: { ...three, n4: { gossip: 'suspect' }, n5: { gossip: 'failed' } },
    },
    want: null,
  },
  {
    name: 'below the target, a stable caught-up learner is promoted',
    world: { voters: ['n1'], learners: ['n2'], members: { n1: {}, n2: {} } },
    want: { type: 'promote', id: 'n2' },
  },
  {
    name: 'a learner healthy for less than stabilizationMs is not promoted yet',
    world: {
      nowMs: 100_000,
      voters: ['n1'],
      learners: ['n2'],
      members: { n1: {}, n2: { healthySinceMs: 95_000 } },
    },
    want: null,
  },
  {
    name: 'a learner trailing by more than maxTrailingLogs is not promoted',
    world: {
      voters: ['n1'],
      learners: ['n2'],
      lastIndex: 1000,
      members: { n1: {}, n2: { match: 749 } },
    },
    want: null,
  },
  {
    name: 'a learner trailing by exactly maxTrailingLogs is promoted',
    world: {
      voters: ['n1'],
      learners: ['n2'],
      lastIndex: 1000,
      members: { n1: {}, n2: { match: 750 } },
    },
    want: { type: 'promote', id: 'n2' },
  },
  {
    name: 'a learner that is suspect in gossip is not promoted',
    world: { voters: ['n1'], learners: ['n2'], members: { n1: {}, n2: { gossip: 'suspect' } } },
    want: null,
  },
  {
    name: 'the consensus tag beats more free resources',
    world: {
      voters: ['n1'],
      learners: ['n2', 'n3'],
      members: { n1: {}, n2: { cpu: 8000, mem: 9e9 }, n3: { cpu: 10, tags: ['consensus'] } },
    },
    want: { type: 'promote', id: 'n3' },
  },
  {
    name: 'without tags, the most free CPU wins',
    world: {
      voters: ['n1'],
      learners: ['n2', 'n3'],
      members: { n1: {}, n2: { cpu: 500, mem: 9e9 }, n3: { cpu: 900, mem: 1 } },
    },
    want: { type: 'promote', id: 'n3' },
  },
  {
    name: 'equal CPU: the most free memory wins',
    world: {
      voters: ['n1'],
      learners: ['n2', 'n3'],
      members: { n1: {}, n2: { mem: 1e6 }, n3: { mem: 2e6 } },
    },
    want: { type: 'promote', id: 'n3' },
  },
  {
    name: 'all equal: the smaller id wins',
    world: { voters: ['n1'], learners: ['n3', 'n2'], members: { n1: {}, n2: {}, n3: {} } },
    want: { type: 'promote', id: 'n2' },
  },
  {
    name: 'a failed voter with a ready replacement: promote first, before removing',
    world: {
      voters: ['n1', 'n2', 'n3'],
      learners: ['n4'],
      members: { ...three, n3: { gossip: 'failed', active: false }, n4: {} },
    },
    want: { type: 'promote', id: 'n4' },
  },
  {
    name: 'a failed voter past the grace period with no replacement is removed',
    world: {
      nowMs: 100_000,
      voters: ['n1', 'n2', 'n3'],
      members: { ...three, n3: { gossip: 'failed', gossipSinceMs: 94_000, active: false } },
    },
    want: { type: 'remove', id: 'n3' },
  },
  {
    name: 'a failed voter within the grace period is kept',
    world: {
      nowMs: 100_000,
      voters: ['n1', 'n2', 'n3'],
      members: { ...three, n3: { gossip: 'failed', gossipSinceMs: 96_000, active: false } },
    },
    want: null,
  },
  {
    name: 'a voter that left gossip is removed at once',
    world: {
      nowMs: 100_000,
      voters: ['n1', 'n2', 'n3'],
      members: { ...three, n3: { gossip: 'left', gossipSinceMs: 99_999 } },
    },
    want: { type: 'remove', id: 'n3' },
  },
  {
    name: 'a voter missing from gossip and unreachable past the grace period is removed',
    world: {
      voters: ['n1', 'n2', 'n3'],
      members: { ...three, n3: { gossip: 'unknown', active: false } },
    },
    want: { type: 'remove', id: 'n3' },
  },
  {
    name: 'a voter gossip calls failed but that still answers Raft is not removed',
    world: {
      voters: ['n1', 'n2', 'n3'],
      members: { ...three, n3: { gossip: 'failed', active: true } },
    },
    want: null,
  },
  {
    name: 'removal is refused when the healthy voters left would not be a quorum',
    // 5 voters, n4 and n5 dead, n3 dead too but the others are only unreachable: removing n5
    // leaves 4 voters of which 2 healthy < quorum 3.
    world: {
      voters: ['n1', 'n2', 'n3', 'n4', 'n5'],
      members: {
        ...three,
        n3: { active: false, unhealthySinceMs: 99_000 },
        n4: { active: false, unhealthySinceMs: 99_000 },
        n5: { gossip: 'failed', active: false },
      },
    },
    want: null,
  },
  {
    name: 'the leader never removes itself, even when gossip says it left',
    world: { voters: ['n1', 'n2', 'n3'], members: { ...three, n1: { gossip: 'left' } } },
    want: null,
  },
  {
    name: 'above the target, the untagged voter with the least resources is removed',
    world: {
      voters: ['n1', 'n2', 'n3', 'n4', 'n5'],
      members: {
        n1: {},
        n2: { tags: ['consensus'], cpu: 1 },
        n3: { cpu: 100 },
        n4: { cpu: 50 },
        n5: { cpu: 900 },
      },
    },
    want: { type: 'remove', id: 'n4' },
  },
  {
    name: 'above the target, an unhealthy voter goes before a healthy one',
    world: {
      voters: ['n1', 'n2', 'n3', 'n4', 'n5'],
      members: {
        n1: {},
        n2: {},
        n3: { cpu: 1 },
        n4: { tags: ['consensus'], active: false, unhealthySinceMs: 99_000 },
        n5: {},
      },
    },
    want: { type: 'remove', id: 'n4' },
  },
  {
    name: 'above the target, the leader is never the one removed',
    world: {
      voters: ['n1', 'n2', 'n3', 'n4'],
      members: { n1: { cpu: 0 }, n2: { cpu: 10 }, n3: { cpu: 20 }, n4: { cpu: 30 } },
    },
    want: { type: 'remove', id: 'n2' },
  },
  {
    name: 'a voter unhealthy beyond failedGraceMs stops counting and a learner is promoted',
    world: {
      nowMs: 100_000,
      voters: ['n1', 'n2', 'n3'],
      learners: ['n4'],
      members: { ...three, n3: { active: false, unhealthySinceMs: 90_000 }, n4: {} },
    },
    want: { type: 'promote', id: 'n4' },
  },
  {
    name: 'a voter briefly unhealthy still counts: no churn',
    world: {
      nowMs: 100_000,
      voters: ['n1', 'n2', 'n3'],
      learners: ['n4'],
      members: { ...three, n3: { active: false, unhealthySinceMs: 99_000 }, n4: {} },
    },
    want: null,
  },
  {
    name: 'a ready consensus-tagged learner replaces an untagged voter (promote, then trim)',
    world: {
      voters: ['n1', 'n2', 'n3'],
      learners: ['n4'],
      members: { ...three, n4: { tags: ['consensus'] } },
    },
    want: { type: 'promote', id: 'n4' },
  },
  {
    name: 'no tag swap when the only untagged voter is the leader',
    world: {
      voters: ['n1', 'n2', 'n3'],
      learners: ['n4'],
      members: {
        n1: {},
        n2: { tags: ['consensus'] },
        n3: { tags: ['consensus'] },
        n4: { tags: ['consensus'] },
      },
    },
    want: null,
  },
  {
    name: 'a failed learner is reaped after reapMs',
    world: {
      nowMs: 100_000,
      voters: ['n1', 'n2', 'n3'],
      learners: ['n4'],
      members: { ...three, n4: { gossip: 'failed', gossipSinceMs: 39_000, active: false } },
    },
    want: { type: 'remove', id: 'n4' },
  },
  {
    name: 'a failed learner is kept within reapMs',
    world: {
      nowMs: 100_000,
      voters: ['n1', 'n2', 'n3'],
      learners: ['n4'],
      members: { ...three, n4: { gossip: 'failed', gossipSinceMs: 41_000, active: false } },
    },
    want: null,
  },
  {
    name: 'a learner that left is reaped after reapMs',
    world: {
      nowMs: 100_000,
      voters: ['n1', 'n2', 'n3'],
      learners: ['n4'],
      members: { ...three, n4: { gossip: 'left', gossipSinceMs: 0, active: false } },
    },
    want: { type: 'remove', id: 'n4' },
  },
  {
    name: 'a config member absent from the member list is never removed',
    world: {
      voters: ['n1', 'n2', 'n3'],
      learners: ['n4'],
      members: { ...three, n4: { absent: true, active: false } },
    },
    want: null,
  },
  {
    name: 'a single-voter target with a learner does nothing',
    world: {
      voters: ['n1'],
      learners: ['n2'],
      members: { n1: {}, n2: {} },
      config: { targetVoters: 1 },
    },
    want: null,
  },
  // Rejoining after a removal while unreachable (nowMs 100 s; default cooldown 30 s).
  {
    name: 'a member removed while unreachable and still alive in gossip is not added back',
    world: {
      voters: ['n1', 'n2', 'n3'],
      members: { ...three, n4: { incarnation: 5 } },
      removed: { n4: { removedAtMs: 95_000, incarnation: 5, seenGone: false } },
    },
    want: null,
  },
  {
    name: 'a removed member is added back once its gossip incarnation changed (a restart)',
    world: {
      voters: ['n1', 'n2', 'n3'],
      members: { ...three, n4: { incarnation: 6 } },
      removed: { n4: { removedAtMs: 99_000, incarnation: 5, seenGone: false } },
    },
    want: { type: 'addLearner', id: 'n4', raftAddr: '127.0.0.1:n4' },
  },
  {
    name: 'a removed member is added back once gossip saw it gone and now alive',
    world: {
      voters: ['n1', 'n2', 'n3'],
      members: { ...three, n4: { incarnation: 5 } },
      removed: { n4: { removedAtMs: 99_000, incarnation: 5, seenGone: true } },
    },
    want: { type: 'addLearner', id: 'n4', raftAddr: '127.0.0.1:n4' },
  },
  {
    name: 'a removed member is not added back 1 ms before the cooldown ends',
    world: {
      voters: ['n1', 'n2', 'n3'],
      members: { ...three, n4: { incarnation: 5 } },
      removed: { n4: { removedAtMs: 70_001, incarnation: 5, seenGone: false } },
    },
    want: null,
  },
  {
    name: 'a removed member is added back once the cooldown (max(reapMs / 2, 30 s)) passed',
    world: {
      voters: ['n1', 'n2', 'n3'],
      members: { ...three, n4: { incarnation: 5 } },
      removed: { n4: { removedAtMs: 70_000, incarnation: 5, seenGone: false } },
    },
    want: { type: 'addLearner', id: 'n4', raftAddr: '127.0.0.1:n4' },
  },
  {
    name: 'the cooldown follows reapMs / 2 when that is longer than 30 s',
    world: {
      voters: ['n1', 'n2', 'n3'],
      members: { ...three, n4: { incarnation: 5 } },
      removed: { n4: { removedAtMs: 50_001, incarnation: 5, seenGone: false } },
      config: { reapMs: 100_000 },
    },
    want: null,
  },
  {
    name: 'a configured rejoinCooldownMs replaces the default',
    world: {
      voters: ['n1', 'n2', 'n3'],
      members: { ...three, n4: { incarnation: 5 } },
      removed: { n4: { removedAtMs: 95_000, incarnation: 5, seenGone: false } },
      config: { rejoinCooldownMs: 5_000 },
    },
    want: { type: 'addLearner', id: 'n4', raftAddr: '127.0.0.1:n4' },
  },
  {
    name: 'an unknown incarnation is no evidence: the removed member waits',
    world: {
      voters: ['n1', 'n2', 'n3'],
      members: { ...three, n4: { incarnation: null } },
      removed: { n4: { removedAtMs: 99_000, incarnation: 5, seenGone: false } },
    },
    want: null,
  },
  {
    name: 'another alive agent is added while a removed one waits for evidence',
    world: {
      voters: ['n1', 'n2', 'n3'],
      members: { ...three, n4: { incarnation: 5, cpu: 9_000 }, n5: {} },
      removed: { n4: { removedAtMs: 99_000, incarnation: 5, seenGone: false } },
    },
    want: { type: 'addLearner', id: 'n5', raftAddr: '127.0.0.1:n5' },
  },
];

for (const c of cases) {
  test(`autopilot: ${c.name}`, () => {
    const got = planAutopilot(input(c.world));
    if (c.want === null) {
      assert.equal(got, null, `unexpected ${JSON.stringify(got)}`);
      return;
    }
    assert.ok(got !== null, 'expected an action');
    const { reason, ...rest } = got;
    assert.deepEqual(rest, c.want);
    assert.ok(reason.length > 0, 'every action says why');
  });
}

test('autopilot: the same input always gives the same action', () => {
  // Determinism: member order in the input does not matter.
  const w: World = {
    voters: ['n1'],
    learners: ['n2', 'n3', 'n4'],
    members: { n1: {}, n4: { cpu: 7 }, n2: { cpu: 7 }, n3: { cpu: 7 } },
  };
  const a = input(w);
  const b = { ...a, members: [...a.members].reverse(), learners: [...a.learners].reverse() };
  assert.deepEqual(planAutopilot(a), planAutopilot(b));
  assert.equal(planAutopilot(a)?.id, 'n2');
});

test('Autopilot.step waits stabilizationMs of continuous health before promoting', () => {
  // The stateful wrapper tracks health itself; an interruption restarts the clock.
  const ap = new Autopilot();
  const obs = (nowMs: number, n2Active: boolean): AutopilotObservation => {
    // The fixture's own history (healthy since 0) must be ignored: step keeps its own.
    return input({
      nowMs,
      voters: ['n1'],
      learners: ['n2'],
      members: { n1: {}, n2: { active: n2Active } },
    });
  };
  assert.equal(ap.step(obs(0, true)), null);
  assert.equal(ap.step(obs(9_999, true)), null);
  assert.equal(ap.step(obs(10_000, false)), null, 'health interrupted');
  assert.equal(ap.step(obs(15_000, true)), null);
  assert.equal(ap.step(obs(24_999, true)), null);
  assert.equal(ap.step(obs(25_000, true))?.type, 'promote');
  ap.reset();
  assert.equal(ap.step(obs(26_000, true)), null, 'reset forgets the history');
});

test('Autopilot.step holds back a voter removed while unreachable until it is back', () => {
  // n4 stops answering Raft but gossip still calls it alive (failure detection lags): learner
  // n5 replaces it, n4 is removed as the extra voter, and must not come straight back.
  const obs = (nowMs: number, voters: string[], n4: MemberSpec): AutopilotObservation =>
    input({
      nowMs,
      voters,
      learners: voters.includes('n5') ? [] : ['n5'],
      members: { n1: {}, n2: {}, n4, n5: {} },
    });
  const alive = (incarnation: number): MemberSpec => ({ incarnation });
  const dead: MemberSpec = { active: false, incarnation: 5 };
  const after = ['n1', 'n2', 'n5'];
  const cases: [string, MemberSpec, number][] = [
    ['its incarnation changed (a restart)', alive(6), 30_000],
    ['gossip saw it failed, then alive', alive(5), 30_000],
    ['the cooldown passed', alive(5), 56_500],
  ];
  for (const [name, back, atMs] of cases) {
    const ap = new Autopilot();
    assert.equal(ap.step(obs(0, ['n1', 'n2', 'n4'], alive(5))), null);
    assert.equal(ap.step(obs(20_000, ['n1', 'n2', 'n4'], dead)), null, 'within the grace');
    assert.equal(ap.step(obs(26_000, ['n1', 'n2', 'n4'], dead))?.id, 'n5', 'promote n5');
    const removal = ap.step(obs(26_500, ['n1', 'n2', 'n4', 'n5'], dead));
    assert.deepEqual([removal?.type, removal?.id], ['remove', 'n4']);
    assert.equal(ap.step(obs(27_000, after, alive(5))), null, `${name}: held back`);
    if (name.startsWith('gossip')) {
      assert.equal(ap.step(obs(28_000, after, { ...alive(5), gossip: 'failed' })), null);
    } else {
      // Alive at the old incarnation just before: no evidence yet (cooldown ends at 56.5 s).
      assert.equal(ap.step(obs(atMs - 1, after, alive(5))), null, `${name}: still held back`);
    }
    const re = ap.step(obs(atMs, after, back));
    assert.deepEqual([re?.type, re?.id], ['addLearner', 'n4'], `${name}: added back`);
  }
});

test('Autopilot.step adds a healthy extra voter back as a learner at once', () => {
  // Removing a reachable voter (over the target) is no sign of death: no cooldown applies.
  const ap = new Autopilot();
  const world = (voters: string[]): AutopilotObservation =>
    input({ nowMs: 1_000, voters, members: { ...three, n4: { incarnation: 5 } } });
  const removal = ap.step(world(['n1', 'n2', 'n3', 'n4']));
  assert.equal(removal?.type, 'remove');
  const victim = removal?.id ?? '';
  const rest = ['n1', 'n2', 'n3', 'n4'].filter((id) => id !== victim);
  assert.deepEqual(ap.step(world(rest))?.type, 'addLearner');
});

test('the memory of removed members is bounded', () => {
  // Entries beyond maxRemovedRemembered forget the oldest; all expire after the cooldown.
  let removed: RemovedMembers = {};
  const base = input({ voters: ['n1'], members: { n1: {} } });
  for (let k = 0; k < maxRemovedRemembered + 40; k++) {
    const i = { ...base, nowMs: k, removed };
    removed = afterAction(removed, i, { type: 'remove', id: `x${k}`, reason: 'test' });
  }
  assert.equal(Object.keys(removed).length, maxRemovedRemembered);
  assert.ok(removed[`x${maxRemovedRemembered + 39}`] !== undefined, 'the newest is kept');
  assert.equal(removed['x0'], undefined, 'the oldest went');
  const later = { ...base, nowMs: maxRemovedRemembered + 40 + 30_000 };
  assert.deepEqual(nextRemoved(removed, later), {});
});

test('validateAutopilotConfig names the bad field', () => {
  // Bad tunables are rejected with a message naming the field.
  validateAutopilotConfig(defaultAutopilotConfig);
  assert.throws(() => validateAutopilotConfig({ ...testConfig, targetVoters: 2 }), /targetVoters/);
  assert.throws(() => validateAutopilotConfig({ ...testConfig, targetVoters: 0 }), /targetVoters/);
  assert.throws(() => validateAutopilotConfig({ ...testConfig, reapMs: -1 }), /reapMs/);
  assert.throws(
    () => validateAutopilotConfig({ ...testConfig, rejoinCooldownMs: -1 }),
    /rejoinCooldownMs/,
  );
  assert.throws(
    () => validateAutopilotConfig({ ...testConfig, stabilizationMs: Number.NaN }),
    /stabilizationMs/,
  );
});

// A brand-new leader: Raft marks every peer recently active when it takes over, so autopilot
// must count only peers that answered THIS leader (the simulator's seeds 677 and 922).
function newLeaderStatus(
  voters: string[],
  learners: string[],
  progress: Record<string, { match: number; state: string; recentActive?: boolean }>,
): RaftStatus {
  const all: Record<string, ProgressStatus> = {};
  for (const [id, p] of Object.entries(progress)) {
    all[id] = { match: p.match, next: 11, state: p.state, recentActive: p.recentActive ?? true };
  }
  return {
    id: 'n1',
    term: 2,
    vote: 'n1',
    role: 'leader',
    leader: 'n1',
    commit: 10,
    applied: 10,
    firstIndex: 1,
    lastIndex: 11,
    lastTerm: 2,
    snapshotIndex: 0,
    config: { voters, learners },
    progress: all,
    transferee: null,
  };
}

function leaderLoop(config: Partial<AutopilotConfig>, nowMs: { v: number }): LeaderLoop {
  return new LeaderLoop({
    selfId: 'n1',
    raftStatus: () => {
      throw new Error('not used: observe() is given the status');
    },
    gossipPeers: () => [],
    clusterId: () => 'c1',
    memberRows: () => [],
    propose: () => Promise.reject(new Error('not used')),
    proposeConfChange: () => Promise.reject(new Error('not used')),
    autopilot: { ...testConfig, ...config },
    logger: pino({ level: 'silent' }),
    nowMs: () => nowMs.v,
  });
}

function alivePeer(id: string): GossipPeer {
  const meta: AgentMeta = {
    nodeId: id,
    raftAddr: `10.0.0.${id.slice(1)}:12000`,
    httpAddr: `10.0.0.${id.slice(1)}:11000`,
    tags: [],
    cpuFreeMilli: 1000,
    memFreeBytes: 1 << 30,
    bootstrapExpect: 0,
    hasState: true,
    clusterId: 'c1',
    leaderId: 'n1',
  };
  return {
    name: id,
    addr: { host: `10.0.0.${id.slice(1)}`, port: 7946 },
    state: 'alive',
    stateChangeMs: 0,
    meta,
  };
}

test('answeredLeader: recentActive alone is not an answer to this leader', () => {
  assert.equal(answeredLeader({ match: 0, state: 'probe', recentActive: true }), false);
  assert.equal(answeredLeader({ match: 7, state: 'probe', recentActive: true }), true);
  assert.equal(answeredLeader({ match: 0, state: 'replicate', recentActive: true }), true);
  assert.equal(answeredLeader({ match: 7, state: 'replicate', recentActive: false }), false);
});

test('seed 677: a new leader with --voters 1 never removes the live voter before the dead one', () => {
  // Three bootstrap voters, n2 crashed (gossip has not noticed yet), n3 answered the new leader.
  const now = { v: 1_000 };
  const loop = leaderLoop({ targetVoters: 1 }, now);
  const ap = new Autopilot();
  const peers = ['n1', 'n2', 'n3'].map(alivePeer);
  const before = newLeaderStatus(['n1', 'n2', 'n3'], [], {
    n2: { match: 0, state: 'probe' },
    n3: { match: 0, state: 'probe' },
  });
  assert.equal(ap.step(loop.observe(before, peers)), null, 'nobody has answered: no removal');
  now.v = 1_200;
  const s = newLeaderStatus(['n1', 'n2', 'n3'], [], {
    n2: { match: 0, state: 'probe' },
    n3: { match: 11, state: 'replicate' },
  });
  const a = ap.step(loop.observe(s, peers));
  assert.deepEqual(a === null ? null : { type: a.type, id: a.id }, { type: 'remove', id: 'n2' });
  // With n2 gone, n3 may go too: [n1] keeps its quorum. Never [n1,n2] with n2 down.
  const s2 = newLeaderStatus(['n1', 'n3'], [], { n3: { match: 12, state: 'replicate' } });
  now.v = 1_400;
  assert.deepEqual(
    ap.step(
      loop.observe(
        s2,
        peers.filter((p) => p.name !== 'n2'),
      ),
    )?.id,
    'n3',
  );
});

test('seed 922: a learner cut off since before the term is never promoted by the new leader', () => {
  // Voters n1..n3 with n3 failed in gossip; learner n4 cut off before n1 won. Raft calls both
  // recently active for the (slow) leader's first election timeout, 5 s. Promoting n4 would
  // make [n1..n4] with two of four down.
  const now = { v: 0 };
  const loop = leaderLoop({ targetVoters: 3, stabilizationMs: 2_000, failedGraceMs: 5_000 }, now);
  const ap = new Autopilot();
  const peers = ['n1', 'n2', 'n3', 'n4'].map(alivePeer);
  const n3Failed = { ...alivePeer('n3'), state: 'dead' as const };
  const gossip = [peers[0], peers[1], n3Failed, peers[3]].filter((p) => p !== undefined);
  for (now.v = 0; now.v <= 10_000; now.v += 500) {
    const recentActive = now.v < 5_000;
    const s = newLeaderStatus(['n1', 'n2', 'n3'], ['n4'], {
      n2: { match: 11, state: 'replicate' },
      n3: { match: 0, state: 'probe', recentActive },
      n4: { match: 0, state: 'probe', recentActive },
    });
    const a = ap.step(loop.observe(s, gossip));
    assert.ok(a?.type !== 'promote', `t=${now.v}: ${JSON.stringify(a)}`);
  }
  // Once n4 answers and stays healthy for stabilizationMs, it is promoted (n3 goes too).
  let voters = ['n1', 'n2', 'n3'];
  const done: string[] = [];
  for (now.v = 10_500; now.v <= 14_000 && !done.includes('promote n4'); now.v += 500) {
    const s = newLeaderStatus(voters, ['n4'], {
      n2: { match: 11, state: 'replicate' },
      n3: { match: 0, state: 'probe', recentActive: false },
      n4: { match: 11, state: 'replicate' },
    });
    const a = ap.step(loop.observe(s, gossip));
    if (a === null) continue;
    done.push(`${a.type} ${a.id}`);
    if (a.type === 'remove') voters = voters.filter((v) => v !== a.id);
  }
  assert.deepEqual(done, ['remove n3', 'promote n4']);
});
