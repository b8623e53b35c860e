// One-off measurement (not a test): LmdbStorage.persist throughput with 256-byte entries.
//   node --import tsx test/storage/persist-throughput.ts [seconds-per-phase] [writers,...]
// Phases: one writer awaiting each persist (fsync latency bound), then 64 writers each awaiting
// its own persist (closed loop: group commit shares each fdatasync among the waiting writers).
import { randomBytes } from 'node:crypto';
import type { Entry } from '../../src/raft/index.ts';
import { LmdbStorage } from '../../src/storage/index.ts';
import { CaptureLogger, ready, tempDir } from './helpers.ts';

const seconds = Number(process.argv[2] ?? '3');
const phases = (process.argv[3] ?? '1,64').split(',').map(Number);
const payload = randomBytes(256);

async function main(): Promise<void> {
  const dir = await tempDir();
  const storage = await LmdbStorage.open({
    dataDir: dir.path,
    nodeId: 'bench',
    logger: new CaptureLogger(),
  });
  try {
    await storage.load();
    let next = 1;
    const entry = (): Entry => ({ type: 'normal', term: 1, index: next++, data: payload });
    for (const writers of phases) {
      const latencies: number[] = [];
      const deadline = performance.now() + seconds * 1000;
      const start = performance.now();
      const worker = async (): Promise<void> => {
        while (performance.now() < deadline) {
          const t0 = performance.now();
          await storage.persist(ready({ entries: [entry()] }));
          latencies.push(performance.now() - t0);
        }
      };
      await Promise.all(Array.from({ length: writers }, worker));
      report(writers, latencies, performance.now() - start);
    }
  } finally {
    await storage.close();
    await dir.remove();
  }
}

function report(writers: number, latencies: number[], elapsedMs: number): void {
  latencies.sort((a, b) => a - b);
  const at = (q: number): string =>
    (latencies[Math.floor(q * (latencies.length - 1))] ?? 0).toFixed(2);
  const rate = Math.round((latencies.length / elapsedMs) * 1000);
  console.log(
    `${String(writers).padStart(2)} writer(s): ${rate} persists/s, latency p50 ${at(0.5)} ms, p99 ${at(0.99)} ms (${latencies.length} persists)`,
  );
}

await main();
