// Public surface of the gossip simulator.
export { GossipCluster } from './cluster.ts';
export type { ClusterOptions, EventObserver, NodeStats } from './cluster.ts';
export { checkConvergence, hasConverged } from './invariants.ts';
export type { ConvergenceReport } from './invariants.ts';
export { defaultNetworkOptions, SimNetwork } from './network.ts';
export type { NetworkOptions } from './network.ts';
export { defaultSimOptions, runGossipSim } from './run.ts';
export type { Detection, GossipSimOptions, GossipSimResult, Traffic } from './run.ts';
export { MembershipWatch } from './watch.ts';
export type { FalsePositives } from './watch.ts';
export { aliveOf, gossipPort, makeCore, nodeName, simAddr, simHost, Wiring } from './testkit.ts';
