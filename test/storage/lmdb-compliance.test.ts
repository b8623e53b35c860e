import { LmdbStorage } from '../../src/storage/index.ts';
import { storageCompliance } from './compliance.ts';
import { CaptureLogger, tempDir } from './helpers.ts';

storageCompliance('LmdbStorage', async ({ bootstrap }) => {
  const dir = await tempDir();
  const logger = new CaptureLogger();
  const opts = { dataDir: dir.path, nodeId: 'n1', logger };
  return {
    open: async () => {
      const storage = await LmdbStorage.open(
        bootstrap === undefined ? opts : { ...opts, bootstrapConfig: bootstrap },
      );
      return { storage, initial: await storage.load() };
    },
    cleanup: async () => {
      // A healthy disk never needs a repair: any warning is a bug.
      const warnings = logger.warnings();
      await dir.remove();
      if (warnings.length > 0) throw new Error(`unexpected warnings: ${JSON.stringify(warnings)}`);
    },
  };
});
