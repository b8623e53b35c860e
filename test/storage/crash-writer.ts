// Child process for lmdb-crash.test.ts: persists one entry at a time and reports each one as
// acknowledged only after persist resolved, until it is killed.
import { LmdbStorage } from '../../src/storage/index.ts';
import { CaptureLogger, hard, normal, ready } from './helpers.ts';

const dataDir = process.argv[2];
if (dataDir === undefined) throw new Error('usage: crash-writer DATA_DIR');
const storage = await LmdbStorage.open({ dataDir, nodeId: 'n1', logger: new CaptureLogger() });
await storage.load();
for (let i = 1; ; i++) {
  await storage.persist(ready({ entries: [normal(i, 1)], hardState: hard(1, 'n1', i) }));
  process.stdout.write(`acked ${i}\n`);
}
