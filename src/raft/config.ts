// Membership configurations and quorum arithmetic.
import { RaftError } from './errors.ts';
import type { ConfChange, Config, NodeId } from './types.ts';

export const emptyConfig: Config = { voters: [], learners: [] };

export function isVoter(c: Config, id: NodeId): boolean {
  return c.voters.includes(id);
}

export function isMember(c: Config, id: NodeId): boolean {
  return c.voters.includes(id) || c.learners.includes(id);
}

export function members(c: Config): NodeId[] {
  return [...c.voters, ...c.learners];
}

/** The configuration that results from one change; throws INVALID_CONF_CHANGE if it is a no-op. */
export function applyChange(c: Config, change: ConfChange): Config {
  const without = (list: readonly NodeId[]): NodeId[] => list.filter((n) => n !== change.node);
  const invalid = (why: string): RaftError =>
    new RaftError('INVALID_CONF_CHANGE', `conf change ${change.type} ${change.node}: ${why}`);
  if (change.node.length === 0) throw invalid('node id must not be empty');
  switch (change.type) {
    case 'addVoter':
      if (isVoter(c, change.node)) throw invalid('already a voter');
      return withAddresses(
        { voters: [...c.voters, change.node].sort(), learners: without(c.learners) },
        addressesAfter(c, change.node, change.address),
      );
    case 'addLearner':
      if (isMember(c, change.node)) throw invalid('already a member');
      return withAddresses(
        { voters: [...c.voters], learners: [...c.learners, change.node].sort() },
        addressesAfter(c, change.node, change.address),
      );
    case 'promote':
      if (!c.learners.includes(change.node)) throw invalid('not a learner');
      return withAddresses(
        { voters: [...c.voters, change.node].sort(), learners: without(c.learners) },
        c.addresses,
      );
    case 'remove': {
      if (!isMember(c, change.node)) throw invalid('not a member');
      const next = { voters: without(c.voters), learners: without(c.learners) };
      if (next.voters.length === 0) throw invalid('would leave no voters');
      return withAddresses(next, addressesAfter(c, change.node, null));
    }
  }
}

/** `address` null removes the node's address; undefined keeps whatever it had. */
function addressesAfter(
  c: Config,
  node: NodeId,
  address: string | undefined | null,
): Readonly<Record<NodeId, string>> | undefined {
  if (address === undefined || (address === null && c.addresses === undefined)) return c.addresses;
  const next: Record<NodeId, string> = { ...c.addresses };
  if (address === null) delete next[node];
  else next[node] = address;
  return next;
}

function withAddresses(c: Config, addresses: Readonly<Record<NodeId, string>> | undefined): Config {
  return addresses === undefined ? c : { ...c, addresses };
}

/** The largest index that a majority of voters has reached. */
export function quorumIndex(voters: readonly NodeId[], matchOf: (id: NodeId) => number): number {
  if (voters.length === 0) return 0;
  const matches = voters.map(matchOf).sort((a, b) => b - a);
  const q = matches[Math.floor(voters.length / 2)];
  return q ?? 0;
}

export function hasQuorum(voters: readonly NodeId[], yes: (id: NodeId) => boolean): boolean {
  let count = 0;
  for (const v of voters) if (yes(v)) count++;
  return count > voters.length / 2;
}
