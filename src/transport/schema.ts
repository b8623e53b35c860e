// Strict validation of decoded frames: the Raft message union, the hello, application frames.
// Builders construct fresh objects, so the core only ever sees exactly the declared shape.
import type { Message, MessageType } from '../raft/messages.ts';
import type { Config, ConfChange, Entry, SnapshotMeta } from '../raft/types.ts';
import { bad, Fields } from './fields.ts';
import { WireError } from './wire-error.ts';

/** Bumped on any incompatible change of the frame format or of a message's fields. */
export const PROTOCOL_VERSION = 1;

/** First frame on every connection: who is dialing, whom it meant to reach, which protocol. */
export interface Hello {
  readonly type: 'hello';
  readonly version: number;
  readonly from: string;
  readonly to: string;
  /**
   * Where the sender's own transport listens. A node that does not know the sender yet (a
   * new node before it has the configuration) can still answer it.
   */
  readonly addr?: string;
}

/**
 * An opaque application payload between two nodes (the agent forwards client requests to the
 * leader with these). It shares the peer's connection, queue and bounds with Raft messages.
 */
export interface AppFrame {
  readonly type: 'appFrame';
  readonly from: string;
  readonly to: string;
  readonly payload: Uint8Array;
}

interface Base {
  readonly from: string;
  readonly to: string;
  readonly term: number;
}

// Builders spell out every field rather than spreading `base`: object spread is an order of
// magnitude slower in V8 here, and this runs once per inbound message.
type Builder = (f: Fields, base: Base) => Message;

const vote =
  (type: 'vote' | 'preVote'): Builder =>
  (f, b) => ({
    type,
    from: b.from,
    to: b.to,
    term: b.term,
    lastIndex: f.uint('lastIndex'),
    lastTerm: f.uint('lastTerm'),
    force: f.bool('force'),
  });

const voteResp =
  (type: 'voteResp' | 'preVoteResp'): Builder =>
  (f, b) => ({ type, from: b.from, to: b.to, term: b.term, granted: f.bool('granted') });

// A Record over MessageType: adding a message type to the core fails compilation here until
// the wire format knows it.
const BUILDERS: Readonly<Record<MessageType, Builder>> = {
  vote: vote('vote'),
  preVote: vote('preVote'),
  voteResp: voteResp('voteResp'),
  preVoteResp: voteResp('preVoteResp'),
  app: (f, b) => ({
    type: 'app',
    from: b.from,
    to: b.to,
    term: b.term,
    prevIndex: f.uint('prevIndex'),
    prevTerm: f.uint('prevTerm'),
    entries: f.list('entries', entry),
    commit: f.uint('commit'),
  }),
  appResp: (f, b) => ({
    type: 'appResp',
    from: b.from,
    to: b.to,
    term: b.term,
    success: f.bool('success'),
    index: f.uint('index'),
    hintIndex: f.uint('hintIndex'),
    hintTerm: f.uint('hintTerm'),
  }),
  heartbeat: (f, b) => ({
    type: 'heartbeat',
    from: b.from,
    to: b.to,
    term: b.term,
    commit: f.uint('commit'),
    readSeq: f.uint('readSeq'),
  }),
  heartbeatResp: (f, b) => ({
    type: 'heartbeatResp',
    from: b.from,
    to: b.to,
    term: b.term,
    readSeq: f.uint('readSeq'),
  }),
  snap: (f, b) => ({
    type: 'snap',
    from: b.from,
    to: b.to,
    term: b.term,
    meta: snapshotMeta(f.obj('meta')),
    offset: f.uint('offset'),
    totalBytes: f.uint('totalBytes'),
    data: f.bytes('data'),
    done: f.bool('done'),
  }),
  snapResp: (f, b) => ({
    type: 'snapResp',
    from: b.from,
    to: b.to,
    term: b.term,
    snapIndex: f.uint('snapIndex'),
    offset: f.uint('offset'),
    done: f.bool('done'),
  }),
  timeoutNow: (_f, b) => ({ type: 'timeoutNow', from: b.from, to: b.to, term: b.term }),
  readIndex: (f, b) => ({
    type: 'readIndex',
    from: b.from,
    to: b.to,
    term: b.term,
    context: f.str('context'),
  }),
  readIndexResp: (f, b) => ({
    type: 'readIndexResp',
    from: b.from,
    to: b.to,
    term: b.term,
    context: f.str('context'),
    index: f.uint('index'),
  }),
};

export function validateMessage(v: unknown): Message | WireError {
  return guarded(() => message(Fields.of(v, '')));
}

/** What may follow the hello on a connection: a Raft message or an application frame. */
export function validateInbound(v: unknown): Message | AppFrame | WireError {
  return guarded(() => {
    const f = Fields.of(v, '');
    if (f.peek('type') !== 'appFrame') return message(f);
    const frame: AppFrame = {
      type: 'appFrame',
      from: f.id('from'),
      to: f.id('to'),
      payload: f.bytes('payload'),
    };
    f.raw('type');
    f.end();
    return frame;
  });
}

function message(f: Fields): Message {
  const type = f.str('type');
  const build = Object.hasOwn(BUILDERS, type) ? BUILDERS[type as MessageType] : undefined;
  if (build === undefined) {
    throw new WireError('UNKNOWN_TYPE', `unknown message type ${JSON.stringify(type)}`, 'type');
  }
  const m = build(f, { from: f.id('from'), to: f.id('to'), term: f.uint('term') });
  f.end();
  return m;
}

export function validateHello(v: unknown): Hello | WireError {
  return guarded(() => {
    const f = Fields.of(v, '');
    const type = f.str('type');
    if (type !== 'hello') {
      throw new WireError('BAD_HANDSHAKE', `expected a hello frame, got type "${type}"`, 'type');
    }
    // Version first: a newer peer's hello may carry fields this version does not know.
    const version = f.uint('version');
    if (version !== PROTOCOL_VERSION) {
      const msg = `protocol version ${String(version)}, this node speaks ${String(PROTOCOL_VERSION)}`;
      throw new WireError('BAD_VERSION', msg, 'version');
    }
    const base = { type: 'hello' as const, version, from: f.id('from'), to: f.id('to') };
    const hello: Hello = f.has('addr') ? { ...base, addr: helloAddr(f.str('addr')) } : base;
    f.end();
    return hello;
  });
}

function helloAddr(v: string): string {
  if (v.length === 0 || v.length > 300) throw bad('addr', 'must be 1-300 characters');
  return v;
}

function entry(v: unknown, path: string): Entry {
  const f = Fields.of(v, path);
  const type = f.str('type');
  const term = f.uint('term');
  const index = f.uint('index');
  let e: Entry;
  if (type === 'normal') {
    e = { type, term, index, data: f.bytes('data') };
  } else if (type === 'conf') {
    e = { type, term, index, change: confChange(f.obj('change')), config: config(f.obj('config')) };
  } else {
    throw bad(f.at('type'), `unknown entry type ${JSON.stringify(type)}`);
  }
  f.end();
  return e;
}

// Optional fields are left out when absent (not set to undefined), matching what the core
// builds, so a decoded value deep-equals the one that was sent.
function confChange(f: Fields): ConfChange {
  const type = f.str('type');
  const node = f.id('node');
  let change: ConfChange;
  if (type === 'addVoter' || type === 'addLearner') {
    change = f.has('address') ? { type, node, address: f.str('address') } : { type, node };
  } else if (type === 'promote' || type === 'remove') {
    change = { type, node };
  } else {
    throw bad(f.at('type'), `unknown change ${JSON.stringify(type)}`);
  }
  f.end();
  return change;
}

function config(f: Fields): Config {
  const voters = f.ids('voters');
  const learners = f.ids('learners');
  const c: Config = f.has('addresses')
    ? { voters, learners, addresses: f.idToStr('addresses') }
    : { voters, learners };
  f.end();
  return c;
}

function snapshotMeta(f: Fields): SnapshotMeta {
  const meta = { index: f.uint('index'), term: f.uint('term'), config: config(f.obj('config')) };
  f.end();
  return meta;
}

/** Runs a validator; a WireError it throws becomes the return value. */
function guarded<T>(run: () => T): T | WireError {
  try {
    return run();
  } catch (err) {
    if (err instanceof WireError) return err;
    // Not expected (validators only throw WireError), but a peer must never crash us.
    return new WireError('BAD_FIELD', `validation failed: ${String(err)}`);
  }
}
