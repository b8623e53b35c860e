// Raft entries for the state machine tests: commands with explicit times, and conf changes.
import type { Config, ConfChange, Entry } from '../../src/raft/index.ts';
import { encodeCommand, type Command, type MemberFields } from '../../src/state/index.ts';

export const T0 = 1_700_000_000_000;

export function cmd(index: number, c: Command, term = 1): Entry {
  return { type: 'normal', term, index, data: encodeCommand(c) };
}

export function noop(index: number, term = 1): Entry {
  return { type: 'normal', term, index, data: new Uint8Array(0) };
}

export function conf(index: number, change: ConfChange, config: Config, term = 1): Entry {
  return { type: 'conf', term, index, change, config };
}

export function kvSet(key: string, value: string, at: number, cas: number | null = null): Command {
  return { t: 'kv.set', key, value: new TextEncoder().encode(value), flags: 0, cas, at };
}

export function member(id: string, at: number, extra: Partial<MemberFields> = {}): Command {
  return {
    t: 'member.upsert',
    id,
    raftAddr: `127.0.0.1:1${id.length}000`,
    httpAddr: '127.0.0.1:8500',
    gossipAddr: '127.0.0.1:7000',
    tags: [],
    cpuFreeMilli: 2000,
    memFreeBytes: 1 << 30,
    status: 'alive',
    at,
    ...extra,
  };
}

/** A mixed log: every command type, a conf change, a no-op, a failed cas and a no-op delete. */
export function mixedLog(count: number): Entry[] {
  const out: Entry[] = [];
  const add = (make: (index: number) => Entry): void => {
    out.push(make(out.length + 1));
  };
  add((i) => noop(i));
  add((i) => cmd(i, { t: 'cluster.init', clusterId: 'c-1', at: T0 }));
  for (let n = 0; out.length < count; n++) {
    const at = T0 + n * 1000;
    switch (n % 6) {
      case 0:
        add((i) => cmd(i, kvSet(`k/${n % 7}`, `v${n}`, at)));
        break;
      case 1:
        add((i) => cmd(i, kvSet(`k/${n % 7}`, 'never', at, 999_999)));
        break;
      case 2:
        add((i) => cmd(i, member(`n${n % 4}`, at, { cpuFreeMilli: n })));
        break;
      case 3:
        add((i) => cmd(i, { t: 'kv.delete', key: `k/${n % 5}`, recurse: false, cas: null, at }));
        break;
      case 4:
        add((i) =>
          conf(
            i,
            { type: 'addLearner', node: `n${n}`, address: `127.0.0.1:${n}` },
            { voters: ['n1'], learners: [`n${n}`] },
          ),
        );
        break;
      default:
        add((i) => cmd(i, { t: 'member.remove', id: `n${(n + 1) % 4}`, at }));
    }
  }
  return out;
}
