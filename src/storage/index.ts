// Public surface of durable Raft storage.
export { MemoryDurableStorage, afterSnapshot } from './durable.ts';
export type { DurableRaftStorage, StorageLogger } from './durable.ts';
export { LmdbStorage, openLmdbStorage } from './lmdb-storage.ts';
export type { LmdbStorageOptions } from './lmdb-storage.ts';
export { SnapshotStore } from './snapshot-store.ts';
export type { LoadedSnapshot, SnapshotFile } from './snapshot-store.ts';
export { StorageCorruptError, StorageError } from './errors.ts';
export type { StorageErrorCode } from './errors.ts';
