// `sappers --recover DATA_DIR`: the CLI side of src/agent/recover.ts (prints what it did).
import { RecoverError, recoverDataDir } from '../agent/recover.ts';
import type { Config } from '../raft/index.ts';
import { StorageError } from '../storage/index.ts';

function describeConfig(c: Config): string {
  const learners = c.learners.length === 0 ? '' : ` learners [${c.learners.join(', ')}]`;
  return `voters [${c.voters.join(', ')}]${learners}`;
}

/** Exit code: 0 recovered, 1 refused (agent running, no Raft state, unreadable storage). */
export async function runRecover(dataDir: string): Promise<number> {
  try {
    const r = await recoverDataDir(dataDir);
    console.log(`recovered ${dataDir} as node ${r.nodeId}`);
    console.log(`old configuration: ${describeConfig(r.oldConfig)}`);
    console.log(`new configuration: ${describeConfig(r.newConfig)}`);
    console.log(
      `wrote configuration entry index ${r.index} term ${r.term} (last index was ` +
        `${r.previousLastIndex}, commit ${r.previousCommit}); start the agent again: it ` +
        `leads alone, then add servers to it`,
    );
    return 0;
  } catch (err) {
    if (err instanceof RecoverError || err instanceof StorageError) {
      console.error(`sappers: --recover: ${err.message}`);
      return 1;
    }
    console.error(`sappers: --recover failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
