// The end of a run: with every fault healed, the cluster must make progress again. A leader
// appears, a final write commits, clients finish, and every member catches up with the leader.
import type { Clients } from './clients.ts';
import type { Cluster } from './cluster.ts';

export interface LivenessOptions {
  /** Budget for electing a leader and committing the final write, from the heal (ms). */
  readonly commitWithinMs: number;
  /** Budget for every member of the committed configuration to apply the leader's commit. */
  readonly catchUpWithinMs: number;
  /** Clients keep issuing operations this long after the heal. */
  readonly clientsRunMs: number;
  /** Process number of the final write (outside the clients' range). */
  readonly probeProcess: number;
}

/** Runs the post-heal phase; returns a description of what did not happen, or null. */
export function checkLiveness(
  cluster: Cluster,
  clients: Clients,
  opts: LivenessOptions,
): string | null {
  const deadline = cluster.now + opts.commitWithinMs;
  cluster.sched.after(opts.clientsRunMs, 'clients stop', () => {
    clients.stop();
  });
  if (!cluster.runUntil(() => cluster.leader() !== null, deadline)) {
    return `no leader within ${opts.commitWithinMs}ms of healing`;
  }
  let outcome: 'ok' | 'fail' | 'info' | null = null;
  let attempts = 0;
  const probe = (): void => {
    attempts++;
    const process = opts.probeProcess + attempts;
    clients.probeWrite(process, 'probe', `final-${attempts}`, (type) => {
      outcome = type;
      // A rejected or timed-out probe (a leader change right then, say) is retried.
      if (type !== 'ok' && cluster.now < deadline) {
        outcome = null;
        cluster.sched.after(20, 'probe retry', probe);
      }
    });
  };
  probe();
  cluster.runUntil(() => outcome !== null, deadline);
  if (outcome !== 'ok') {
    return (
      `final write did not commit within ${opts.commitWithinMs}ms of healing ` +
      `(${attempts} attempts, last ${String(outcome)})`
    );
  }
  if (!cluster.runUntil(() => clients.idle, cluster.now + opts.catchUpWithinMs)) {
    return 'clients still waiting for results at the end';
  }
  const members = (): string[] => {
    const c = cluster.committedConfig.config;
    return [...c.voters, ...c.learners];
  };
  const caughtUp = (): boolean => {
    const l = cluster.leader();
    if (l === null || !cluster.committedConfig.config.voters.includes(l.id)) return false;
    const commit = l.raft().status().commit;
    return members().every((id) => (cluster.node(id)?.applied ?? -1) >= commit);
  };
  if (!cluster.runUntil(caughtUp, cluster.now + opts.catchUpWithinMs)) {
    const lagging = members().map((id) => `${id}:${cluster.node(id)?.applied ?? 'missing'}`);
    const l = cluster.leader();
    const commit = l === null ? 'no leader' : `leader ${l.id} commit ${l.raft().status().commit}`;
    return `members did not catch up within ${opts.catchUpWithinMs}ms (${commit}; applied ${lagging.join(' ')})`;
  }
  return null;
}
