// One-shot actions against the agent that owns DATA_DIR (found through DATA_DIR/agent.json).
import { readAgentFile } from '../agent/agent-file.ts';

const requestTimeoutMs = 30_000;

export async function triggerSnapshot(dataDir: string): Promise<number> {
  const agent = readAgentFile(dataDir);
  if (agent === null) {
    console.error(`sappers: no running agent owns ${dataDir} (no live agent.json there)`);
    return 1;
  }
  let res: Response;
  try {
    res = await fetch(`http://${agent.httpAddr}/v1/sappers/snapshot`, {
      method: 'POST',
      signal: AbortSignal.timeout(requestTimeoutMs),
    });
  } catch (err) {
    console.error(
      `sappers: agent ${agent.nodeId} at ${agent.httpAddr} did not answer: ${String(err)}`,
    );
    return 1;
  }
  const body = await res.text();
  if (!res.ok) {
    console.error(`sappers: snapshot failed (${res.status}): ${body}`);
    return 1;
  }
  const snap = JSON.parse(body) as { Index: number; Term: number; Path: string };
  console.log(`snapshot index ${snap.Index} term ${snap.Term} path ${snap.Path}`);
  return 0;
}
