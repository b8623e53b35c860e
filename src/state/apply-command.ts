// Applying one command to the tables, and the event it records when it changes something.
// A command that changes nothing (failed check-and-set, delete of an absent key, an upsert
// identical to the row, a repeated cluster.init) records no event.
//
// Event subject and data per type (all deterministic, all small):
//   kv.set         subject = key;     data = {flags, size, sha256}: the value's length in bytes
//                  and lowercase hex SHA-256, not the value itself. Values may be up to 512 KiB
//                  and may be secrets, and the chain outlives them (it is retained after the
//                  key is deleted); the digest still lets an auditor holding a value prove that
//                  it is the one written at that index.
//   kv.delete      subject = key or prefix; data = {recurse, deleted}: keys removed
//   kv.txn         one event for the whole transaction, only when it committed and changed
//                  something; subject = the first key (or prefix) it changed; data = {ops}: one
//                  item per operation that changed something, in order: {verb: 'set', key,
//                  flags, size, sha256} (cas is recorded as the set it performed), {verb:
//                  'delete' | 'delete-cas', key}, {verb: 'delete-tree', key, deleted}. Reads and
//                  checks are not recorded; values never are (digests, as for kv.set)
//   member.upsert  subject = member id; data = the row's fields {raftAddr, httpAddr, gossipAddr,
//                  tags, cpuFreeMilli, memFreeBytes, status}
//   member.remove  subject = member id; data = {}
//   cluster.init   subject = cluster id; data = {clusterId}
//   raft.conf      subject = the node the change names; data = {change, address?, voters,
//                  learners}: the change type ('addVoter', 'addLearner', 'promote', 'remove'),
//                  the address it carried, and the resulting configuration
import type { Entry } from '../raft/index.ts';
import type { ApplyResult } from './apply-result.ts';
import type { Command, MemberFields } from './commands.ts';
import type { EventData } from './event-log.ts';
import type { KvTable } from './kv-table.ts';
import { applyTxn } from './kv-txn.ts';
import type { MembersTable } from './members-table.ts';
import { sha256Hex } from './sha256.ts';

export type { ApplyResult } from './apply-result.ts';

export interface Tables {
  readonly kv: KvTable;
  readonly members: MembersTable;
  readonly cluster: { id: string | null };
}

export interface Change {
  readonly subject: string;
  readonly data: EventData;
}

export interface Outcome {
  readonly result: ApplyResult;
  readonly change: Change | null;
}

export function applyCommand(t: Tables, c: Command, index: number, timeMs: number): Outcome {
  switch (c.t) {
    case 'kv.set': {
      const ok = t.kv.set(c.key, c.value, c.flags, c.cas, index);
      return { result: ok, change: ok ? { subject: c.key, data: valueDigest(c) } : null };
    }
    case 'kv.delete':
      return kvDelete(t.kv, c.key, c.recurse, c.cas, index);
    case 'kv.txn': {
      const { outcome, changes } = applyTxn(t.kv, c.ops, index);
      const first = changes[0]?.['key'];
      return {
        result: outcome,
        change: typeof first === 'string' ? { subject: first, data: { ops: [...changes] } } : null,
      };
    }
    case 'member.upsert': {
      const changed = t.members.upsert(c, index, timeMs);
      return { result: true, change: changed ? { subject: c.id, data: memberData(c) } : null };
    }
    case 'member.remove': {
      const existed = t.members.remove(c.id, index);
      return { result: existed, change: existed ? { subject: c.id, data: {} } : null };
    }
    case 'cluster.init':
      return clusterInit(t.cluster, c.clusterId);
  }
}

export function confChangeEvent(e: Extract<Entry, { type: 'conf' }>): Change {
  const address = 'address' in e.change ? e.change.address : undefined;
  return {
    subject: e.change.node,
    data: {
      change: e.change.type,
      ...(address === undefined ? {} : { address }),
      voters: [...e.config.voters],
      learners: [...e.config.learners],
    },
  };
}

function kvDelete(
  kv: KvTable,
  key: string,
  recurse: boolean,
  cas: number | null,
  index: number,
): Outcome {
  const before = kv.size();
  const result = recurse ? kv.deletePrefix(key, index) : kv.delete(key, cas, index);
  const deleted = before - kv.size();
  return {
    result,
    change: deleted > 0 ? { subject: key, data: { recurse, deleted } } : null,
  };
}

function clusterInit(cluster: { id: string | null }, clusterId: string): Outcome {
  if (cluster.id !== null) return { result: cluster.id === clusterId, change: null };
  cluster.id = clusterId;
  return { result: true, change: { subject: clusterId, data: { clusterId } } };
}

function valueDigest(c: { readonly value: Uint8Array; readonly flags: number }): EventData {
  return {
    flags: c.flags,
    size: c.value.byteLength,
    sha256: sha256Hex(c.value),
  };
}

function memberData(m: MemberFields): EventData {
  return {
    raftAddr: m.raftAddr,
    httpAddr: m.httpAddr,
    gossipAddr: m.gossipAddr,
    tags: [...m.tags],
    cpuFreeMilli: m.cpuFreeMilli,
    memFreeBytes: m.memFreeBytes,
    status: m.status,
  };
}
