// Public surface of the self-organizing cluster layer.
export { Autopilot, planAutopilot } from './autopilot.ts';
export { consensusTag, nextHealth, emptyHealthHistory } from './autopilot-health.ts';
export type { HealthHistory } from './autopilot-health.ts';
export { defaultAutopilotConfig, validateAutopilotConfig } from './autopilot-types.ts';
export type {
  AutopilotAction,
  AutopilotConfig,
  AutopilotInput,
  AutopilotMember,
  AutopilotObservation,
  GossipState,
} from './autopilot-types.ts';
export { decideBootstrap } from './bootstrap.ts';
export type { BootstrapDecision, BootstrapInput, BootstrapPeer } from './bootstrap.ts';
export { BootstrapWaiter } from './bootstrap-waiter.ts';
export type { BootstrapWaiterOptions } from './bootstrap-waiter.ts';
export { planDeparture } from './departure.ts';
export type { Departure, DepartureInput } from './departure.ts';
export { GossipService } from './gossip-service.ts';
export type { GossipPeer, GossipPeerEvent, GossipServiceOptions } from './gossip-service.ts';
export { LeaderLoop, leaderTickMs, memberCommands } from './leader-loop.ts';
export type { LeaderLoopComponents, MemberRowView } from './leader-loop.ts';
export { decodeMeta, encodeMeta, freeResources, META_MAX_BYTES } from './meta.ts';
export type { AgentMeta, EncodedMeta } from './meta.ts';
