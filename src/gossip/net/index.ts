// The gossip network shell: UDP + TCP transport on one port, and the node that drives the core.
export { GossipNode, type GossipNodeOptions } from './node.ts';
export {
  GossipTransport,
  type GossipLogger,
  type SendOptions,
  type TransportHandlers,
  type TransportOptions,
  type TransportStats,
} from './transport.ts';
