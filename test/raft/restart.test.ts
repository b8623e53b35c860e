// Persistent state across crashes: Raft paper §5.1/§5.2 and Figure 2 ("persistent state on all
// servers: currentTerm, votedFor, log[] — updated on stable storage before responding to RPCs").
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RaftNode } from '../../src/raft/index.ts';
import { Cluster, appliedData, enc } from './harness.ts';
import { direct, drain, log, ofType, opts, out, send, voters, type Direct } from './helpers.ts';

const three = voters('n1', 'n2', 'n3');

function restart(n: Direct): Direct {
  return { raft: new RaftNode(opts(n.raft.id), n.storage.initialState()), storage: n.storage };
}

function vote(n: Direct, from: string, term: number): boolean | undefined {
  send(n, 'vote', { from, term, lastIndex: 9, lastTerm: 9, force: false });
  return ofType(out(n), 'voteResp')[0]?.granted;
}

test('a vote reaches stable storage in the same Ready that carries the response', () => {
  // §5.1 / Figure 2: votedFor is persisted before responding, so a crash right after cannot forget it.
  const n = direct('n1', three, { term: 1 });
  send(n, 'vote', { from: 'n2', term: 2, lastIndex: 0, lastTerm: 0, force: false });
  const rd = n.raft.ready();
  assert.deepEqual(rd.hardState, { term: 2, vote: 'n2', commit: 0 });
  assert.deepEqual(
    ofType(rd.messages, 'voteResp').map((m) => m.granted),
    [true],
  );
  n.raft.advance();
});

test('a restarted voter keeps its term and vote and does not vote twice in that term', () => {
  // §5.2 / Figure 2: currentTerm and votedFor survive a crash, so at most one vote is cast per term.
  const n = direct('n1', three, { term: 1 });
  assert.equal(vote(n, 'n2', 2), true);
  const again = restart(n);
  const st = again.raft.status();
  assert.deepEqual([st.term, st.vote, st.role, st.leader], [2, 'n2', 'follower', null]);
  assert.equal(vote(again, 'n3', 2), false, 'another candidate of term 2');
  assert.equal(vote(again, 'n2', 2), true, 'the same candidate may ask again');
});

test('a candidate that crashes keeps its self-vote for its term', () => {
  // §5.2: a candidate votes for itself; after a restart it must still refuse others in that term.
  const n = direct('n1', three, { term: 1 }, [], { preVote: false });
  n.raft.campaign();
  drain(n);
  const again = restart(n);
  assert.deepEqual([again.raft.status().term, again.raft.status().vote], [2, 'n1']);
  assert.equal(vote(again, 'n3', 2), false);
});

test('a restarted node keeps its log and commit index', () => {
  // §5.1 / Figure 2: the log is persistent, and the commit index is recovered from what was persisted.
  const n = direct('n1', three, { term: 2 });
  send(n, 'app', {
    from: 'n2',
    term: 2,
    prevIndex: 0,
    prevTerm: 0,
    entries: log(1, 2, 2),
    commit: 2,
  });
  drain(n);
  const st = restart(n).raft.status();
  assert.deepEqual([st.lastIndex, st.lastTerm, st.commit, st.term], [3, 2, 2, 2]);
});

test('committed entries are applied again after a restart', () => {
  // §5.3 with volatile lastApplied: the state machine is rebuilt by re-applying committed entries in order.
  const c = new Cluster(['n1', 'n2', 'n3']);
  const leader = c.electLeader();
  for (const x of ['a', 'b', 'c']) c.node(leader).raft.propose(enc(x));
  c.settle();
  c.tick(1);
  const follower = [...c.nodes.keys()].find((id) => id !== leader) ?? '';
  const before = appliedData(c.node(follower));
  assert.deepEqual(before, ['a', 'b', 'c']);
  const fresh = c.restart(follower);
  assert.deepEqual(fresh.applied, [], 'nothing applied yet');
  c.drainReadies();
  assert.deepEqual(appliedData(fresh), before);
  assert.equal(fresh.raft.status().applied, fresh.raft.status().commit);
});

test('after the whole cluster restarts, the new leader holds every committed entry', () => {
  // §5.4 (Leader Completeness): durable logs plus the voting restriction keep committed entries across a full restart.
  const c = new Cluster(['n1', 'n2', 'n3']);
  const leader = c.electLeader();
  for (const x of ['a', 'b']) c.node(leader).raft.propose(enc(x));
  c.settle();
  c.tick(1);
  for (const id of ['n1', 'n2', 'n3']) c.restart(id);
  const next = c.electLeader();
  c.node(next).raft.propose(enc('c'));
  c.settle();
  c.tick(1);
  for (const n of c.nodes.values()) assert.deepEqual(appliedData(n), ['a', 'b', 'c']);
});
