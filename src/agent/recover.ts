// `sappers --recover DATA_DIR`: restore service after quorum is lost for good (Consul's
// peers.json problem). On a stopped survivor, appends one committed configuration entry that
// makes this node the only voter, at lastIndex + 1 with a term above every term it has seen, and
// raises the hard state to that term. The log and snapshots are kept: on restart the node
// replays them, applies the new configuration, wins an election alone and serves every write it
// had. Entries it held beyond the old commit index become committed too (they may include
// writes the old cluster never acknowledged: that is the price of a forced recovery).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import type { Config, Entry, InitialState } from '../raft/index.ts';
import { openLmdbStorage } from '../storage/index.ts';
import { toNodeId, unseal } from '../storage/codec.ts';
import { readAgentFile } from './agent-file.ts';

export interface RecoveryReport {
  readonly nodeId: string;
  readonly oldConfig: Config;
  readonly newConfig: Config;
  readonly index: number;
  readonly term: number;
  readonly previousLastIndex: number;
  readonly previousCommit: number;
}

/** A refusal the CLI reports with exit code 1 (nothing was changed). */
export class RecoverError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecoverError';
  }
}

const silentLogger = { info: (): void => {}, warn: (): void => {} };

/** The node id DATA_DIR was claimed for, or null when it holds no Raft state. */
async function storedNodeId(dataDir: string): Promise<string | null> {
  if (!existsSync(join(dataDir, 'raft.lmdb'))) return null;
  const root = open<Buffer, string>({ path: join(dataDir, 'raft.lmdb'), encoding: 'binary' });
  try {
    const meta = root.openDB<Buffer, string>({ name: 'meta', encoding: 'binary' });
    const raw = meta.get('nodeId');
    return raw === undefined ? null : toNodeId(unseal(raw));
  } finally {
    await root.close();
  }
}

/** The configuration in force after the log (the last conf entry, else the snapshot's). */
export function currentConfig(s: InitialState): Config {
  let c: Config = s.snapshot?.meta.config ?? s.bootstrapConfig ?? { voters: [], learners: [] };
  for (const e of s.entries) if (e.type === 'conf') c = e.config;
  return c;
}

/** The entry and hard state a recovery writes on top of `s`; pure, for tests. */
export function recoveryEntry(
  s: InitialState,
  nodeId: string,
): { entry: Entry & { type: 'conf' }; oldConfig: Config } {
  const lastIndex = s.entries.at(-1)?.index ?? s.snapshot?.meta.index ?? 0;
  const lastTerm = s.entries.at(-1)?.term ?? s.snapshot?.meta.term ?? 0;
  const oldConfig = currentConfig(s);
  const address = oldConfig.addresses?.[nodeId];
  const newConfig: Config = {
    voters: [nodeId],
    learners: [],
    ...(address === undefined ? {} : { addresses: { [nodeId]: address } }),
  };
  const term = Math.max(s.hardState.term, lastTerm) + 1;
  const entry: Entry & { type: 'conf' } = {
    type: 'conf',
    term,
    index: lastIndex + 1,
    // The core applies `config`; the change records who the configuration was forced around.
    change:
      address === undefined
        ? { type: 'addVoter', node: nodeId }
        : { type: 'addVoter', node: nodeId, address },
    config: newConfig,
  };
  return { entry, oldConfig };
}

export async function recoverDataDir(dataDir: string): Promise<RecoveryReport> {
  const running = readAgentFile(dataDir);
  if (running !== null) {
    throw new RecoverError(
      `agent ${running.nodeId} (pid ${running.pid}) is running on ${dataDir}; stop it first`,
    );
  }
  const nodeId = await storedNodeId(dataDir);
  if (nodeId === null) throw new RecoverError(`${dataDir} holds no Raft state to recover from`);
  const storage = await openLmdbStorage({ dataDir, nodeId, logger: silentLogger });
  try {
    const state = await storage.load();
    if (state.snapshot === null && state.entries.length === 0) {
      throw new RecoverError(`${dataDir} holds no Raft log or snapshot to recover from`);
    }
    const { entry, oldConfig } = recoveryEntry(state, nodeId);
    await storage.persist({
      hardState: { term: entry.term, vote: nodeId, commit: entry.index },
      entries: [entry],
      snapshot: null,
    });
    // Read it back: what the agent will start from must load and carry the new configuration.
    const after = await storage.load();
    const last = after.entries.at(-1);
    if (last?.index !== entry.index || after.hardState.commit !== entry.index) {
      throw new Error(`recovery entry ${entry.index} did not read back from ${dataDir}`);
    }
    return {
      nodeId,
      oldConfig,
      newConfig: entry.config,
      index: entry.index,
      term: entry.term,
      previousLastIndex: entry.index - 1,
      previousCommit: state.hardState.commit,
    };
  } finally {
    await storage.close();
  }
}
