// The Sappers counterpart of interop/memberlist-peer: one Sappers gossip node (GossipNode) in
// its own process, with the Go peer's flags, JSON lines and stdin commands, so tests and
// benchmarks can crash it for real (SIGKILL) and measure it like the Go program.
//
//   node --import tsx interop/ts-peer/main.ts -name ts-1 -port 7946 -config local -join 127.0.0.1:7947
//
// Lines on stdout, one JSON object each:
//   {"type":"ready","name","addr","port"}            (port: the bound one, also for -port 0)
//   {"type":"joined","contacted","error"}            (after -join: contacted is 1 once some
//                                                     other member is known, else 0)
//   {"type":"join"|"update"|"suspect"|"alive"|"leave","node":{"name","addr","port","state","meta"}}
//   {"type":"members","members":[...]}               (every -interval, and on "members")
//   {"type":"result","command","error"} / {"type":"left","error"} / {"type":"error","error"}
// Unlike the Go peer (memberlist 0.2.2 hides the state), states are exact: alive, suspect,
// dead (failed) or left; a "leave" event carries dead or left, and member lists keep them.
// Commands on stdin: members, leave, join host:port[,host:port], install|use|remove <b64 key>,
// meta <text>, drop <probability> [<stream probability>] (like -drop, -drop-streams).
// SIGTERM or SIGINT leaves gracefully and exits 0.
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import type { Member, MemberEvent } from '../../src/gossip/core/index.ts';
import { GossipNode } from '../../src/gossip/net/index.ts';
import { Keyring } from '../../src/gossip/wire/index.ts';
import { FlagError, parseFlags, parseHostPort, probability, type PeerFlags } from './args.ts';

interface NodeJson {
  readonly name: string;
  readonly addr: string;
  readonly port: number;
  readonly state: string;
  readonly meta?: string;
}

function emit(v: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(v)}\n`);
}

function toJson(m: Member): NodeJson {
  const meta = Buffer.from(m.meta).toString('utf8');
  const j = { name: m.name, addr: m.addr.host, port: m.addr.port, state: m.state };
  return meta === '' ? j : { ...j, meta };
}

const eventType: Readonly<Record<MemberEvent['type'], string>> = {
  join: 'join',
  update: 'update',
  suspect: 'suspect',
  alive: 'alive',
  fail: 'leave',
  leave: 'leave',
};

function members(node: GossipNode): void {
  const list = [...node.members()].sort((a, b) => (a.name < b.name ? -1 : 1)).map(toJson);
  emit({ type: 'members', members: list });
}

function decodeKey(text: string): Uint8Array {
  const k = Buffer.from(text, 'base64');
  if (k.toString('base64') !== text) throw new FlagError('key: not base64');
  return new Uint8Array(k);
}

/** Simulated loss rates, changed at run time by the drop command. */
interface Loss {
  datagrams: number;
  streams: number;
}

/**
 * Simulated loss: each outgoing datagram is dropped with probability loss.datagrams, and each
 * outgoing TCP exchange fails at once with probability loss.streams.
 */
function simulateLoss(node: GossipNode, loss: Loss): void {
  const t = node.transport;
  const send = t.sendRaw.bind(t);
  t.sendRaw = (to, datagram) => {
    if (loss.datagrams === 0 || Math.random() >= loss.datagrams) send(to, datagram);
  };
  const request = t.request.bind(t);
  t.request = (to, msg, timeoutMs) =>
    loss.streams > 0 && Math.random() < loss.streams
      ? Promise.reject(new Error('simulated loss: connection attempt dropped'))
      : request(to, msg, timeoutMs);
}

/** Waits until some other member is known, at most `timeoutMs`; 1 if so, else 0. */
async function contacted(node: GossipNode, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (node.members().some((m) => m.name !== node.name)) return 1;
    await new Promise((r) => setTimeout(r, 20));
  }
  return 0;
}

function command(node: GossipNode, loss: Loss, line: string, leave: () => void): void {
  const [verb = '', arg = ''] = line.split(/ (.*)/s);
  const reply = (err: Error | null): void => {
    const error = err === null ? '' : err.message;
    emit({ type: 'result', command: verb, error });
  };
  try {
    switch (verb) {
      case '':
        return;
      case 'members':
        return members(node);
      case 'leave':
        return leave();
      case 'join':
        node.join(arg.split(',').map((a) => parseHostPort('join', a)));
        return reply(null);
      case 'install':
      case 'use':
      case 'remove': {
        const ring = node.keyring;
        if (ring === undefined) return reply(new Error('no keyring or no key'));
        const k = decodeKey(arg);
        if (verb === 'install') ring.addKey(k);
        else if (verb === 'use') ring.useKey(k);
        else ring.removeKey(k);
        return reply(null);
      }
      case 'drop': {
        // drop <datagram probability> [<stream probability>]
        const [p = '', q = '0'] = arg.split(' ');
        const datagrams = probability('drop', p);
        loss.streams = probability('drop', q);
        loss.datagrams = datagrams;
        return reply(null);
      }
      case 'meta':
        node.setMeta(new TextEncoder().encode(arg));
        return reply(null);
      default:
        return reply(new Error(`unknown command "${verb}"`));
    }
  } catch (e) {
    reply(e instanceof Error ? e : new Error(String(e)));
  }
}

async function run(f: PeerFlags): Promise<void> {
  const node = await GossipNode.start({
    name: f.name,
    host: f.bind,
    port: f.port,
    config: f.config,
    meta: new TextEncoder().encode(f.meta),
    keyring: f.key === '' ? undefined : new Keyring(decodeKey(f.key)),
    compression: f.compression,
    logger: f.log ? pino({ level: 'debug' }, pino.destination(2)) : undefined,
  });
  const loss: Loss = { datagrams: f.drop, streams: f.dropStreams };
  simulateLoss(node, loss);
  node.subscribe((e) => {
    emit({ type: eventType[e.type], node: toJson(e.member) });
  });
  emit({ type: 'ready', name: f.name, addr: f.bind, port: node.address.port });

  let leaving = false;
  const leave = (): void => {
    if (leaving) return;
    leaving = true;
    node.leave(3000).then(
      () => {
        emit({ type: 'left', error: '' });
        process.exit(0);
      },
      (e: unknown) => {
        emit({ type: 'left', error: e instanceof Error ? e.message : String(e) });
        process.exit(0);
      },
    );
  };
  process.on('SIGTERM', leave);
  process.on('SIGINT', leave);
  createInterface({ input: process.stdin }).on('line', (l) => {
    command(node, loss, l.trim(), leave);
  });
  if (f.intervalMs > 0) setInterval(() => members(node), f.intervalMs);
  if (f.join.length > 0) {
    node.join(f.join.map((a) => parseHostPort('join', a)));
    emit({
      type: 'joined',
      contacted: await contacted(node, f.config.tcpTimeoutMs + 1000),
      error: '',
    });
  }
}

try {
  await run(parseFlags(process.argv.slice(2)));
} catch (e) {
  emit({ type: 'error', error: e instanceof Error ? e.message : String(e) });
  process.exit(2);
}
