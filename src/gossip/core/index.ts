// Public surface of the gossip membership core.
export { GossipCore } from './core.ts';
export { NameIds } from './name-ids.ts';
export type { GossipCoreOptions, QueueSizes } from './core.ts';
export {
  buildVsn,
  defaultLANConfig,
  defaultLocalConfig,
  defaultWANConfig,
  metaMaxSize,
  protocolVersionMax,
  protocolVersionMin,
  validateConfig,
} from './config.ts';
export type { GossipConfig } from './config.ts';
export { bytesToHost, hostToBytes } from './addr.ts';
export {
  compoundHeaderOverhead,
  compoundOverhead,
  estimateSize,
  maxCompoundParts,
  packetSize,
} from './size.ts';
export type { SizeOf } from './size.ts';
export {
  pushPullScaleMs,
  retransmitLimit,
  suspicionTimeoutMs,
  suspicionTotalMs,
} from './timing.ts';
export type {
  Drained,
  Member,
  MemberEvent,
  MemberEventType,
  MemberState,
  OutPacket,
  OutStream,
  Random,
} from './types.ts';
