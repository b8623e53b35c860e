// Concurrent clients against a real cluster while a test does damage, and the checks after:
// every client is a history process doing random reads, writes, value-cas and deletes on a few
// registers through random agents (including ones that are down: their requests are refused,
// which is a definite failure), plus writes of unique keys whose durability is checked directly.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { http, sleep, waitFor, type Agent } from './cluster.ts';
import { HistoryRecorder, KvClient, writeOutcome, type Outcome } from './history.ts';

export interface WorkloadOptions {
  readonly clients: number;
  /** The registers of the checked history. */
  readonly keys: readonly string[];
  /** Every agent a client may talk to (running or not). */
  readonly agents: () => readonly Agent[];
  /** Fraction of operations that write a fresh unique key under `u/` instead. */
  readonly uniqueFraction?: number;
  /** Relative weights of read / write / cas / delete on the registers. */
  readonly mix?: { read: number; write: number; cas: number; delete: number };
  /** Pause between a client's operations (ms, uniform in [0, thinkMs]). */
  readonly thinkMs?: number;
  /**
   * Retry a unique write that definitely failed (refused, no leader, transfer in progress) on
   * another agent, as a client of a highly available service would.
   */
  readonly retryDefiniteFailures?: boolean;
}

export interface UniqueWrite {
  readonly key: string;
  readonly value: string;
  readonly outcome: Outcome;
  readonly detail: string;
}

export const UNIQUE_PREFIX = 'u/';

export class Workload {
  readonly history = new HistoryRecorder();
  readonly uniques: UniqueWrite[] = [];
  private readonly o: WorkloadOptions;
  private stopping = false;
  private loops: Promise<void>[] = [];
  private seq = 0;

  constructor(opts: WorkloadOptions) {
    this.o = opts;
  }

  start(): void {
    for (let c = 0; c < this.o.clients; c++) this.loops.push(this.client(c));
  }

  /** Stops issuing operations and waits for the ones in flight to complete. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  private pickAgent(): Agent {
    const all = this.o.agents();
    const a = all[Math.floor(Math.random() * all.length)];
    if (a === undefined) throw new Error('no agents');
    return a;
  }

  private async client(c: number): Promise<void> {
    const kv = new KvClient(this.history, c);
    const mix = this.o.mix ?? { read: 4, write: 4, cas: 2, delete: 1 };
    const total = mix.read + mix.write + mix.cas + mix.delete;
    let n = 0;
    while (!this.stopping) {
      const agent = this.pickAgent();
      const value = (): string => `c${c}-${++n}`;
      let refused = false;
      if (Math.random() < (this.o.uniqueFraction ?? 0)) {
        refused = await this.uniqueWrite(c, agent, value());
      } else {
        const key = this.o.keys[Math.floor(Math.random() * this.o.keys.length)] ?? 'k';
        let r = Math.random() * total;
        if ((r -= mix.read) < 0) {
          refused = (await kv.read(agent, key)).detail === 'ECONNREFUSED';
        } else if ((r -= mix.write) < 0) {
          refused = (await kv.write(agent, key, value())).detail === 'ECONNREFUSED';
        } else if ((r -= mix.cas) < 0) {
          const seen = await kv.read(agent, key);
          refused = seen.detail === 'ECONNREFUSED';
          if (seen.type === 'ok' && seen.value !== null && seen.modifyIndex !== null) {
            await kv.cas(agent, key, seen.value, seen.modifyIndex, value());
          }
        } else {
          refused = (await kv.delete(agent, key)).detail === 'ECONNREFUSED';
        }
      }
      // A dead agent refuses at once; do not spin on it.
      await sleep(refused ? 20 : Math.random() * (this.o.thinkMs ?? 5));
    }
  }

  /** Returns true when the chosen agent refused the connection (it is down). */
  private async uniqueWrite(c: number, first: Agent, value: string): Promise<boolean> {
    const key = `${UNIQUE_PREFIX}${c}/${++this.seq}`;
    let agent = first;
    for (let attempt = 0; ; attempt++) {
      const o = await http(agent.httpAddr, 'PUT', `/v1/kv/${key}`, {
        body: value,
        timeoutMs: 10_000,
      });
      const r = writeOutcome(o);
      const again = this.o.retryDefiniteFailures === true && r.type === 'fail' && attempt < 100;
      if (!again) {
        this.uniques.push({ key, value, outcome: r.type, detail: `${agent.id}: ${r.detail}` });
        return o.kind === 'error' && !o.connected;
      }
      await sleep(20);
      agent = this.pickAgent();
    }
  }

  /**
   * Final linearizable reads of every register through every agent in `through` (retried until
   * one answers, as part of the history), then the linearizability check. Writes the history to
   * `dir/history.jsonl` (for `npm run lincheck -- FILE`) and asserts it is linearizable.
   */
  async checkRegisters(through: readonly Agent[], dir: string): Promise<void> {
    const kv = new KvClient(this.history, this.o.clients + 1);
    for (const key of this.o.keys) {
      for (const agent of through) {
        await waitFor(`a final read of ${key} on ${agent.id}`, 30_000, async () => {
          const r = await kv.read(agent, key);
          return r.type === 'ok' ? true : undefined;
        });
      }
    }
    writeFileSync(join(dir, 'history.jsonl'), this.history.toJsonl());
    const started = Date.now();
    const result = this.history.check();
    const ms = Date.now() - started;
    console.log(
      `history: ${this.history.events.length} events (${this.history.summary()}); ` +
        `checked in ${ms} ms: ${result.ok === true ? 'linearizable' : String(result.ok)}`,
    );
    assert.equal(
      result.ok,
      true,
      `history (${join(dir, 'history.jsonl')}) is not linearizable:\n${HistoryRecorder.describe(result)}`,
    );
  }

  /**
   * Every acknowledged unique write is there with its value, and no write that definitely
   * failed is, as read (linearizably) through every agent in `through`.
   */
  async checkUniques(through: readonly Agent[]): Promise<void> {
    for (const agent of through) {
      const stored = await waitFor(`a recurse read on ${agent.id}`, 30_000, async () => {
        const o = await http(agent.httpAddr, 'GET', `/v1/kv/${UNIQUE_PREFIX}?recurse`, {
          timeoutMs: 10_000,
        });
        if (o.kind !== 'response') return undefined;
        if (o.status === 404) return new Map<string, string>();
        if (o.status !== 200) return undefined;
        const pairs = JSON.parse(o.body) as { Key: string; Value: string | null }[];
        return new Map(
          pairs.map((p) => [p.Key, Buffer.from(p.Value ?? '', 'base64').toString('utf8')]),
        );
      });
      const lost = this.uniques.filter((u) => u.outcome === 'ok' && stored.get(u.key) !== u.value);
      assert.deepEqual(
        lost.map((u) => u.key),
        [],
        `acknowledged writes missing on ${agent.id}: ${JSON.stringify(lost.slice(0, 10))}`,
      );
      const phantom = this.uniques.filter((u) => u.outcome === 'fail' && stored.has(u.key));
      assert.deepEqual(
        phantom.map((u) => `${u.key} (${u.detail})`),
        [],
        `writes reported as definitely failed were applied (seen on ${agent.id})`,
      );
    }
  }

  uniqueSummary(): string {
    const c = new Map<Outcome, number>();
    for (const u of this.uniques) c.set(u.outcome, (c.get(u.outcome) ?? 0) + 1);
    return `unique writes: ok=${c.get('ok') ?? 0} fail=${c.get('fail') ?? 0} info=${c.get('info') ?? 0}`;
  }
}
