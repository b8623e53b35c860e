// Simulated clients: each has one outstanding operation at a time against a node it picks (the
// last leader it heard of, or a random one), follows NOT_LEADER redirects, and records every
// operation in the Jepsen-style history. A mutation whose proposal was accepted but whose
// result never arrived (timeout, node crash) is 'info': it may or may not have happened, so the
// client continues as a new process. Reads go through ReadIndex and are served from the local
// state machine once it has applied the read index.
import { RaftError, type NodeId } from '../raft/index.ts';
import type { Cluster } from './cluster.ts';
import type { History, OpFunction, OpValue } from './history.ts';
import { encodeCommand, type KvCommand } from './kv.ts';
import type { Outcome } from './node.ts';
import type { Prng } from './prng.ts';

export interface ClientOptions {
  readonly count: number;
  readonly keys: readonly string[];
  /** Milliseconds a client waits for a result before giving up on it. */
  readonly timeoutMs: number;
  /** Pause between a completion and the next invoke: [min, max] ms. */
  readonly thinkMs: readonly [number, number];
  /** Extra pause after an operation no node accepted. */
  readonly backoffMs: number;
  /** NOT_LEADER redirects followed within one operation. */
  readonly maxRedirects: number;
}

interface Client {
  readonly index: number;
  process: number;
  lastLeader: NodeId | null;
  /** Id of the operation in flight, or null. */
  current: string | null;
  seq: number;
}

interface Op {
  readonly id: string;
  readonly f: OpFunction;
  readonly key: string;
  readonly value: OpValue;
  readonly command: KvCommand | null;
}

type Completion = 'ok' | 'fail' | 'info';

export class Clients {
  private readonly cluster: Cluster;
  private readonly history: History;
  private readonly rng: Prng;
  private readonly opts: ClientOptions;
  private readonly clients: Client[] = [];
  /** Values written per key (for cas expectations that sometimes match). */
  private readonly written = new Map<string, string[]>();
  private stopped = false;
  stats = { invoked: 0, ok: 0, fail: 0, info: 0, rejected: 0 };

  constructor(cluster: Cluster, history: History, rng: Prng, opts: ClientOptions) {
    this.cluster = cluster;
    this.history = history;
    this.rng = rng;
    this.opts = opts;
    for (let i = 0; i < opts.count; i++) {
      this.clients.push({ index: i, process: i, lastLeader: null, current: null, seq: 0 });
    }
  }

  start(): void {
    for (const c of this.clients) this.scheduleNext(c);
  }

  /** No new operations from now on; those in flight still complete. */
  stop(): void {
    this.stopped = true;
  }

  get idle(): boolean {
    return this.clients.every((c) => c.current === null);
  }

  /**
   * Issues one write on behalf of a dedicated process and calls `done` with its completion:
   * the run's liveness probe.
   */
  probeWrite(process: number, key: string, value: string, done: (type: Completion) => void): void {
    const probe: Client = { index: -1, process, lastLeader: null, current: null, seq: 0 };
    const leader = this.cluster.leader();
    probe.lastLeader = leader?.id ?? null;
    const op: Op = {
      id: `probe-${process}`,
      f: 'write',
      key,
      value,
      command: { op: 'write', id: `probe-${process}`, key, value },
    };
    this.invoke(probe, op, (type) => {
      done(type === 'rejected' ? 'fail' : type);
    });
  }

  /** Schedules the client's next op; after a rejection (no leader to talk to) it backs off. */
  private scheduleNext(c: Client, backoff = false): void {
    if (this.stopped) return;
    const [lo, hi] = this.opts.thinkMs;
    const pause = this.rng.range(lo, hi) + (backoff ? this.opts.backoffMs : 0);
    this.cluster.sched.after(pause, `client ${c.index} next`, () => {
      if (this.stopped || c.current !== null) return;
      this.invoke(c, this.nextOp(c), (type) => {
        this.scheduleNext(c, type === 'rejected');
      });
    });
  }

  private nextOp(c: Client): Op {
    const id = `c${c.index}.${c.seq++}`;
    const key = this.rng.pick(this.opts.keys);
    const f = this.rng.weighted({ read: 4, write: 3, cas: 2, delete: 1 });
    switch (f) {
      case 'read':
        return { id, f, key, value: null, command: null };
      case 'write': {
        const value = `${c.index}.${c.seq}`;
        return { id, f, key, value, command: { op: 'write', id, key, value } };
      }
      case 'delete':
        return { id, f, key, value: null, command: { op: 'delete', id, key } };
      case 'cas': {
        const seen = this.written.get(key) ?? [];
        const expected = seen.length > 0 ? this.rng.pick(seen) : 'none';
        const value = `${c.index}.${c.seq}`;
        return {
          id,
          f,
          key,
          value: [expected, value],
          command: { op: 'cas', id, key, expected, value },
        };
      }
    }
  }

  private pickTarget(c: Client): NodeId | null {
    if (c.lastLeader !== null && this.rng.chance(0.8)) return c.lastLeader;
    const ids = this.cluster.ids();
    return ids.length === 0 ? null : this.rng.pick(ids);
  }

  private invoke(c: Client, op: Op, after: (type: Completion | 'rejected') => void): void {
    this.stats.invoked++;
    c.current = op.id;
    this.history.invoke(c.process, op.f, op.key, op.value, op.id, this.cluster.now);
    const stored = op.command?.op === 'write' || op.command?.op === 'cas' ? op.command.value : null;
    if (stored !== null) {
      const list = this.written.get(op.key) ?? [];
      list.push(stored);
      if (list.length > 3) list.shift();
      this.written.set(op.key, list);
    }
    const finish = (type: Completion | 'rejected', value?: OpValue): void => {
      if (c.current !== op.id) return;
      c.current = null;
      if (type === 'rejected') {
        // Never submitted: nothing happened. A cas is retracted (its 'fail' would claim it ran).
        this.stats.rejected++;
        if (op.f === 'cas') this.history.retract(c.process);
        else this.history.complete(c.process, 'fail', this.cluster.now);
        after('rejected');
        return;
      }
      this.stats[type]++;
      this.history.complete(c.process, type, this.cluster.now, value);
      // A process whose op is indeterminate never issues again: continue as a fresh one.
      if (type === 'info') c.process += Math.max(this.opts.count, 1) * 1000;
      after(type);
    };
    const target = this.pickTarget(c);
    this.attempt(c, op, target, 0, finish);
  }

  private attempt(
    c: Client,
    op: Op,
    target: NodeId | null,
    redirects: number,
    finish: (type: Completion | 'rejected', value?: OpValue) => void,
  ): void {
    const node = target === null ? undefined : this.cluster.node(target);
    if (node === undefined || !node.up) {
      // Connection refused: nothing was submitted.
      c.lastLeader = null;
      finish('rejected');
      return;
    }
    const timer = (onTimeout: Completion): void => {
      this.cluster.sched.after(this.opts.timeoutMs, `client ${c.index} timeout ${op.id}`, () => {
        if (c.current !== op.id) return;
        node.forget(op.id);
        finish(onTimeout);
      });
    };
    if (op.command === null) {
      node.read(op.id, op.key, (o: Outcome) => {
        if (o.kind === 'read') {
          c.lastLeader = node.leader;
          finish('ok', o.value);
        } else finish('fail');
      });
      timer('fail');
      return;
    }
    try {
      node.propose(op.id, encodeCommand(op.command), (o: Outcome) => {
        if (o.kind === 'applied') finish(o.ok ? 'ok' : 'fail');
        else finish('info');
      });
      c.lastLeader = node.id;
      timer('info');
    } catch (err) {
      if (!(err instanceof RaftError)) throw err;
      this.cluster.count(`client:${err.code}`);
      c.lastLeader = err.code === 'NOT_LEADER' ? err.leader : null;
      if (err.code === 'NOT_LEADER' && err.leader !== null && redirects < this.opts.maxRedirects) {
        this.attempt(c, op, err.leader, redirects + 1, finish);
        return;
      }
      finish('rejected');
    }
  }
}
