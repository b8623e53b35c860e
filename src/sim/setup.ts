// Everything a run's seed decides before the run starts: cluster size, fault profile, Raft
// tuning, network, clients, nemesis pacing. Every parameter is drawn unconditionally and in a
// fixed order, so overriding one (say --nodes) leaves all the others as the seed chose them and
// the replay command of a failing seed reproduces it exactly.
import { defaultRaftOptions, type RaftNodeOptions, type TestingBugs } from '../raft/index.ts';
import type { ClientOptions } from './clients.ts';
import type { ClusterOptions } from './cluster.ts';
import type { EarlyMode } from './node.ts';
import type { NemesisOptions } from './nemesis.ts';
import { profiles, type Profile } from './profiles.ts';
import { Prng } from './prng.ts';

export const bugNames = ['commitPreviousTerm'] as const;
export type BugName = (typeof bugNames)[number];

export const defaultSteps = 12000;
export const tickMs = 10;

export interface SetupOverrides {
  readonly nodes?: number;
  readonly profile?: string;
  readonly bug?: BugName;
  readonly trace?: boolean;
}

export interface RunSetup {
  readonly nodes: number;
  readonly profileName: string;
  readonly profile: Profile;
  readonly cluster: ClusterOptions;
  readonly clients: ClientOptions;
  readonly nemesis: NemesisOptions;
  /** When the nemesis strikes first (ms). */
  readonly nemesisStart: number;
}

function bugsFor(bug: BugName | undefined): TestingBugs | undefined {
  if (bug === 'commitPreviousTerm') return { commitPreviousTerm: true };
  return undefined;
}

export function isBugName(s: string): s is BugName {
  return (bugNames as readonly string[]).includes(s);
}

export function makeSetup(seed: number, overrides: SetupOverrides = {}): RunSetup {
  const rng = new Prng(seed).fork('setup');
  const pickedNodes = rng.pick([3, 3, 5, 5, 5, 7]);
  const pickedProfile = rng.pick(Object.keys(profiles));
  const raftDraws = {
    preVote: rng.chance(0.75),
    checkQuorum: rng.chance(0.75),
    maxEntriesPerMsg: rng.range(1, 4),
    maxInflightMsgs: rng.range(1, 4),
  };
  const maxDelay = rng.range(2, 8);
  const snapshotKeep = rng.range(0, 5);
  const keyCount = rng.range(3, 5);
  const meanGapMs = rng.range(40, 200);
  const maxDurationMs = rng.range(100, 600);
  const nemesisStart = rng.range(100, 400);
  const maxInFlight = rng.pick([64, 256, 2000]);
  const diskSlowRate = rng.pick([0, 0.5, 1]);
  const diskMaxDelayMs = rng.range(1, 5);
  // What a leader does during its writes: the real driver's choice ('none') most often.
  const early = rng.pick<EarlyMode>(['none', 'none', 'appends', 'writes']);
  // How many applied, stable entries a core keeps in memory; older ones are read back from the
  // disk (RaftNode.setLogReader). null: all of them, as before log readers existed.
  const memoryLogKeep = rng.pick<number | null>([null, 0, 2, 8]);

  const nodes = overrides.nodes ?? pickedNodes;
  const profileName = overrides.profile ?? pickedProfile;
  const profile = profiles[profileName];
  if (profile === undefined) throw new RangeError(`unknown fault profile ${profileName}`);
  const testingBugs = bugsFor(overrides.bug);
  const raft: Omit<RaftNodeOptions, 'id' | 'random'> = {
    ...defaultRaftOptions,
    electionTicks: 10,
    heartbeatTicks: 1,
    maxBytesPerMsg: 512,
    maxInflightBytes: 4096,
    maxUncommittedBytes: 16 * 1024,
    snapshotChunkBytes: 64,
    ...raftDraws,
    ...profile.raft,
    ...(testingBugs === undefined ? {} : { testingBugs }),
  };
  return {
    nodes,
    profileName,
    profile,
    cluster: {
      seed,
      nodes,
      raft,
      tickMs,
      network: {
        minDelay: 1,
        maxDelay,
        lossRate: 0,
        dupRate: 0,
        slowRate: 0,
        slowDelay: 0,
        maxInFlight,
      },
      snapshotEvery: [20, 50],
      snapshotKeep,
      disk: { slowRate: diskSlowRate, maxDelayMs: diskMaxDelayMs, early },
      memoryLogKeep,
      trace: overrides.trace === true,
    },
    clients: {
      count: 5,
      keys: ['a', 'b', 'c', 'd', 'e'].slice(0, keyCount),
      timeoutMs: 400,
      thinkMs: [0, 20],
      backoffMs: 20,
      maxRedirects: 2,
    },
    nemesis: {
      meanGapMs: profile.meanGapMs ?? meanGapMs,
      maxDurationMs: profile.maxDurationMs ?? maxDurationMs,
      minVoters: 3,
      maxVoters: 7,
      firstSpare: nodes + 1,
      maxSpares: 3,
    },
    nemesisStart,
  };
}
