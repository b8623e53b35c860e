import { MemoryStorage } from '../../src/raft/index.ts';
import { MemoryDurableStorage } from '../../src/storage/index.ts';
import { storageCompliance } from './compliance.ts';

storageCompliance('MemoryDurableStorage', ({ bootstrap }) => {
  // The MemoryStorage is the disk: a new adapter over it is a restart.
  const disk = new MemoryStorage(bootstrap);
  return Promise.resolve({
    open: async () => {
      const storage = new MemoryDurableStorage(disk);
      return { storage, initial: await storage.load() };
    },
    cleanup: () => Promise.resolve(),
  });
});
