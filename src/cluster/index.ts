// Public surface of the self-organizing cluster layer.
export { Autopilot, planAutopilot } from './autopilot.ts';
export {
  answeredLeader,
  consensusTag,
  nextHealth,
  emptyHealthHistory,
} from './autopilot-health.ts';
export type { HealthHistory, PeerProgress } from './autopilot-health.ts';
export { defaultAutopilotConfig, validateAutopilotConfig } from './autopilot-types.ts';
export type {
  AutopilotAction,
  AutopilotConfig,
  AutopilotInput,
  AutopilotMember,
  AutopilotObservation,
  GossipState,
} from './autopilot-types.ts';
export { BootstrapGate, decideBootstrap, defaultBootstrapSettleMs } from './bootstrap.ts';
export type { BootstrapDecision, BootstrapInput, BootstrapPeer } from './bootstrap.ts';
export { bootstrapEntries } from './bootstrap-log.ts';
export type { BootstrapLog, BootstrapVoter } from './bootstrap-log.ts';
export { BootstrapWaiter, bootstrapPeersOf } from './bootstrap-waiter.ts';
export type { BootstrapWaiterOptions } from './bootstrap-waiter.ts';
export { planDeparture } from './departure.ts';
export type { Departure, DepartureInput } from './departure.ts';
export { GossipService, toPeer } from './gossip-service.ts';
export type { GossipPeer, GossipPeerEvent, GossipServiceOptions } from './gossip-service.ts';
export { confChangeOf, LeaderLoop, leaderTickMs, memberCommands } from './leader-loop.ts';
export type { LeaderLoopComponents, MemberRowView } from './leader-loop.ts';
export {
  advertisedBootstrapExpect,
  decodeMeta,
  encodeMeta,
  freeResources,
  META_MAX_BYTES,
} from './meta.ts';
export type { AgentMeta, EncodedMeta } from './meta.ts';
export {
  defaultReconnectIntervalMs,
  defaultReconnectTimeoutMs,
  FailedMembers,
  maxRememberedMembers,
  pickReconnectTarget,
} from './reconnect.ts';
export type { FailedMember, ReconnectInput, ReconnectMember } from './reconnect.ts';
