// Public surface of the management database.
export { ManagementState } from './fsm.ts';
export type { ApplyResult } from './fsm.ts';
export { KvTable } from './kv-table.ts';
export type { KvEntry } from './kv-table.ts';
export { encodeCommand, decodeCommand, CommandError } from './commands.ts';
export type { Command } from './commands.ts';
export { IndexWatch } from './watch.ts';
