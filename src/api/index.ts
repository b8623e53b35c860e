// Public surface of the HTTP API.
export { createApiServer, DEFAULT_REQUEST_TIMEOUT_MS } from './server.ts';
export type { ApiServerOptions } from './server.ts';
export type {
  ApiBackend,
  ClusterInfo,
  GossipMemberInfo,
  PeerInfo,
  ServerInfo,
  SnapshotInfo,
} from './backend.ts';
export type { ConsulMember } from './agent.ts';
export type { ClusterJson, ClusterMemberJson, ClusterServerJson } from './cluster.ts';
export { ApiError, NO_LEADER } from './errors.ts';
export { MAX_VALUE_BYTES } from './kv.ts';
export type { ConsulKvPair } from './kv.ts';
export type { ConsulRaftConfiguration, ConsulRaftServer } from './operator.ts';
export type { SnapshotResponse } from './sappers.ts';
export { EVENTS_LIMIT_DEFAULT, EVENTS_LIMIT_MAX } from './events.ts';
export type { EventJson, MemberJson } from './events.ts';
export { DEFAULT_WAIT_MS, MAX_WAIT_MS, parseGoDuration } from './query.ts';
