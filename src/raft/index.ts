// Public surface of the Raft core.
export { RaftNode } from './raft.ts';
export type { RaftNodeOptions, RaftStatus, ProgressStatus, TestingBugs } from './raft.ts';
export { defaultRaftOptions, validateOptions } from './options.ts';
export type { RaftOptions, Random } from './options.ts';
export { RaftError, RaftInvariantError } from './errors.ts';
export type { RaftErrorCode } from './errors.ts';
export { MemoryStorage } from './memory-storage.ts';
export type { LogReader, RaftStorage } from './storage.ts';
export type { EarlyReady, RaftWrite, Ready } from './ready.ts';
export type * from './messages.ts';
export type * from './types.ts';
export { applyChange, isVoter, isMember } from './config.ts';
