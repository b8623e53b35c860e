// Linearizable reads without the log: thesis §6.4 (ReadIndex) and §6.4.1 (reads on followers).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cluster, enc } from './harness.ts';
import { direct, drain, elect, ofType, out, send, voters, type Direct } from './helpers.ts';

const ack = (n: Direct, from: string, index: number): void =>
  send(n, 'appResp', { from, term: 2, success: true, index, hintIndex: 0, hintTerm: 0 });

/** A leader of term 2 over an empty log, its no-op (index 1) still uncommitted. */
function freshLeader(ids: string[]): Direct {
  const n = direct(ids[0] ?? '', voters(...ids), { term: 1 });
  elect(n, ids.slice(1, Math.floor(ids.length / 2) + 1));
  drain(n);
  return n;
}

test('a new leader holds a read until it has committed an entry of its term', () => {
  // §6.4 step 1: a new leader does not know the latest commit index until its no-op commits, so reads wait for it.
  const n = freshLeader(['n1', 'n2', 'n3']);
  n.raft.readIndex('r1');
  const rd = drain(n);
  assert.deepEqual(rd?.readStates ?? [], []);
  assert.deepEqual(ofType(rd?.messages ?? [], 'heartbeat'), [], 'no confirmation round yet');
  ack(n, 'n2', 1);
  const after = drain(n);
  assert.equal(after?.hardState?.commit, 1);
  assert.deepEqual(after.readStates, [], 'committed, but leadership is not yet confirmed');
  assert.deepEqual(
    ofType(after.messages, 'heartbeat').map((m) => [m.to, m.readSeq]),
    [
      ['n2', 1],
      ['n3', 1],
    ],
  );
});

test('a read is released only once a majority answers the heartbeat round that followed it', () => {
  // §6.4 steps 2–3: the leader records commitIndex as readIndex and serves the read after a majority acknowledges a new heartbeat round.
  const n = freshLeader(['n1', 'n2', 'n3', 'n4', 'n5']);
  for (const f of ['n2', 'n3']) ack(n, f, 1);
  drain(n);
  n.raft.readIndex('r1');
  const seq = ofType(out(n), 'heartbeat')[0]?.readSeq ?? -1;
  send(n, 'heartbeatResp', { from: 'n2', term: 2, readSeq: seq - 1 });
  send(n, 'heartbeatResp', { from: 'n3', term: 2, readSeq: seq - 1 });
  assert.deepEqual(drain(n)?.readStates ?? [], [], 'answers to an older round prove nothing');
  send(n, 'heartbeatResp', { from: 'n2', term: 2, readSeq: seq });
  assert.deepEqual(drain(n)?.readStates ?? [], [], 'two of five is not a majority');
  send(n, 'heartbeatResp', { from: 'n4', term: 2, readSeq: seq });
  assert.deepEqual(drain(n)?.readStates, [{ index: 1, context: 'r1' }]);
});

test('the read index is the commit index when the read arrived, not a later one', () => {
  // §6.4 step 2: readIndex is fixed when the request arrives; later commits do not move it.
  const n = freshLeader(['n1', 'n2', 'n3']);
  ack(n, 'n2', 1);
  drain(n);
  n.raft.readIndex('r1');
  const seq = ofType(out(n), 'heartbeat')[0]?.readSeq ?? -1;
  const later = n.raft.propose(enc('w'));
  drain(n);
  ack(n, 'n2', later);
  assert.equal(n.raft.status().commit, later);
  send(n, 'heartbeatResp', { from: 'n3', term: 2, readSeq: seq });
  assert.deepEqual(drain(n)?.readStates, [{ index: 1, context: 'r1' }]);
});

test('a single-voter leader serves a read at once, without messages', () => {
  // §6.4: with a cluster of one, the leader alone is the majority that confirms it.
  const n = direct('n1', voters('n1'));
  n.raft.campaign();
  drain(n);
  n.raft.readIndex('solo');
  const rd = drain(n);
  assert.deepEqual(rd?.readStates, [{ index: 1, context: 'solo' }]);
  assert.deepEqual(rd.messages, []);
});

test('a leader cut off from the majority never serves the read, and drops it when it steps down', () => {
  // §6.4 step 3: a deposed leader cannot confirm leadership, so the read must fail rather than return stale data.
  const c = new Cluster(['n1', 'n2', 'n3']);
  const leader = c.electLeader();
  c.tick(1);
  c.isolate(leader);
  c.node(leader).raft.readIndex('stale?');
  for (let i = 0; i < 50 && c.node(leader).raft.status().role === 'leader'; i++) c.tick();
  assert.equal(c.node(leader).raft.status().role, 'follower');
  assert.deepEqual(c.node(leader).readStates, []);
  assert.deepEqual(c.node(leader).dropped, ['stale?']);
});

test('a read waiting for the first commit is dropped if the leader steps down first', () => {
  // §6.4: pending reads belong to one leadership; losing it fails them.
  const n = freshLeader(['n1', 'n2', 'n3']);
  n.raft.readIndex('early');
  send(n, 'heartbeatResp', { from: 'n2', term: 3, readSeq: 0 });
  assert.deepEqual(drain(n)?.droppedReads, ['early']);
});

test('a follower forwards a read to the leader and gets back the leader’s read index', () => {
  // §6.4.1: a follower asks the leader for a read index, then serves the read once it has applied up to it.
  const c = new Cluster(['n1', 'n2', 'n3']);
  const leader = c.electLeader();
  c.node(leader).raft.propose(enc('x'));
  c.settle();
  c.tick(1);
  const commit = c.node(leader).raft.status().commit;
  const follower = [...c.nodes.keys()].find((id) => id !== leader) ?? '';
  c.node(follower).raft.readIndex('f1');
  c.settle();
  const forwarded = c.trace.filter((m) => m.type === 'readIndex');
  assert.deepEqual(
    forwarded.map((m) => [m.from, m.to]),
    [[follower, leader]],
  );
  assert.deepEqual(c.node(follower).readStates, [{ index: commit, context: 'f1' }]);
  assert.ok(c.node(follower).raft.status().applied >= commit, 'it can serve the read now');
});

test('a read on a follower that knows no leader is dropped at once', () => {
  // §6.4.1: with no leader to ask, the follower cannot obtain a read index.
  const n = direct('n1', voters('n1', 'n2', 'n3'), { term: 1 });
  n.raft.readIndex('nowhere');
  const rd = drain(n);
  assert.deepEqual(rd?.droppedReads, ['nowhere']);
  assert.deepEqual(rd.messages, []);
});

test('a forwarded read that reaches a non-leader is answered as failed', () => {
  // §6.4.1: only the leader may hand out a read index; anyone else refuses (index 0) and the asker drops the read.
  const n = direct('n1', voters('n1', 'n2', 'n3'), { term: 1 });
  send(n, 'readIndex', { from: 'n2', term: 1, context: 'r' });
  const [resp] = ofType(out(n), 'readIndexResp');
  assert.deepEqual([resp?.to, resp?.index, resp?.context], ['n2', 0, 'r']);
  const asker = direct('n2', voters('n1', 'n2', 'n3'), { term: 1 });
  send(asker, 'readIndexResp', { from: 'n1', term: 1, context: 'r', index: 0 });
  assert.deepEqual(drain(asker)?.droppedReads, ['r']);
});
