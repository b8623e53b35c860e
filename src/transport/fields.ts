// Typed reads of one decoded msgpack map. Every read checks the type, and `end()` rejects keys
// nobody read, so a peer cannot smuggle extra data into the core. Values are copied out (bytes
// too), so nothing the core keeps aliases a socket buffer.
import { WireError } from './wire-error.ts';

export const MAX_NODE_ID_LENGTH = 256;

type Obj = Readonly<Record<string, unknown>>;

export class Fields {
  readonly #o: Obj;
  readonly #path: string;
  readonly #read: string[] = [];

  private constructor(o: Obj, path: string) {
    this.#o = o;
    this.#path = path;
  }

  /** `v` must be a plain map (no arrays, class instances or decoded extension types). */
  static of(v: unknown, path: string): Fields {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(path, 'not a map');
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) throw bad(path, 'not a plain map');
    return new Fields(v as Obj, path);
  }

  /** Path of field `k`, for error messages. */
  at(k: string): string {
    return this.#path === '' ? k : `${this.#path}.${k}`;
  }

  raw(k: string): unknown {
    if (!Object.hasOwn(this.#o, k)) throw bad(this.at(k), 'missing');
    this.#read.push(k);
    return this.#o[k];
  }

  /** Looks at a field without counting it as read (for dispatching on `type`). */
  peek(k: string): unknown {
    return Object.hasOwn(this.#o, k) ? this.#o[k] : undefined;
  }

  /** Whether optional field `k` is present; an explicit undefined (msgpackr keeps it) is absent. */
  has(k: string): boolean {
    if (!Object.hasOwn(this.#o, k)) return false;
    if (this.#o[k] !== undefined) return true;
    this.#read.push(k);
    return false;
  }

  /** A non-negative safe integer: indexes, terms, offsets, sequence numbers. */
  uint(k: string): number {
    const v = this.raw(k);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw bad(this.at(k), 'not a non-negative integer');
    }
    return v === 0 ? 0 : v; // normalizes -0
  }

  bool(k: string): boolean {
    const v = this.raw(k);
    if (typeof v !== 'boolean') throw bad(this.at(k), 'not a boolean');
    return v;
  }

  str(k: string): string {
    const v = this.raw(k);
    if (typeof v !== 'string') throw bad(this.at(k), 'not a string');
    return v;
  }

  id(k: string): string {
    return nodeId(this.raw(k), this.at(k));
  }

  bytes(k: string): Uint8Array {
    const v = this.raw(k);
    if (!(v instanceof Uint8Array)) throw bad(this.at(k), 'not binary');
    return new Uint8Array(v); // copy: a plain Uint8Array that does not pin the frame buffer
  }

  obj(k: string): Fields {
    return Fields.of(this.raw(k), this.at(k));
  }

  list<T>(k: string, item: (v: unknown, path: string) => T): T[] {
    const v = this.raw(k);
    const path = this.at(k);
    if (!Array.isArray(v)) throw bad(path, 'not an array');
    return v.map((x: unknown, i) => item(x, `${path}[${String(i)}]`));
  }

  ids(k: string): string[] {
    return this.list(k, nodeId);
  }

  /** A map from node id to string (member addresses). */
  idToStr(k: string): Record<string, string> {
    const m = this.obj(k);
    // fromEntries defines own properties, so even a "__proto__" key cannot touch the prototype.
    const pairs = Object.keys(m.#o).map((id): [string, string] => [
      nodeId(id, m.at(id)),
      m.str(id),
    ]);
    return Object.fromEntries(pairs);
  }

  /** Every key must have been read exactly once: unknown fields are a protocol violation. */
  end(): void {
    const keys = Object.keys(this.#o);
    if (keys.length === this.#read.length) return;
    const extra = keys.find((k) => !this.#read.includes(k)) ?? '?';
    throw bad(this.at(extra), 'unexpected field');
  }
}

export function nodeId(v: unknown, path: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_NODE_ID_LENGTH) {
    throw bad(path, `not a node id (1-${String(MAX_NODE_ID_LENGTH)} characters)`);
  }
  return v;
}

export function bad(field: string, problem: string): WireError {
  return new WireError('BAD_FIELD', `field ${field || '(root)'}: ${problem}`, field);
}
