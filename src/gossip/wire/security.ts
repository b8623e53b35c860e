// memberlist's encryption (security.go, keyring.go): AES-GCM with a 12-byte random nonce and a
// 16-byte tag under the keyring's primary key; every installed key is tried to decrypt.
//   version 0: [0][nonce 12][GCM(plaintext + PKCS7 padding to 16)][tag 16]   (protocol 1)
//   version 1: [1][nonce 12][GCM(plaintext)][tag 16]                         (protocol >= 2)
// The GCM additional data is empty for UDP packets and, on streams, the 5-byte header
// [encryptMsg][uint32 big-endian length of what follows]. memberlist 0.2.2 has no labels.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { GossipWireError } from './errors.ts';

export type EncryptionVersion = 0 | 1;

const VERSION_SIZE = 1;
const NONCE_SIZE = 12;
const TAG_SIZE = 16;
const BLOCK_SIZE = 16;
const EMPTY = new Uint8Array(0);

/** memberlist's encryptionVersion(): 0 when speaking protocol 1, else 1. */
export function encryptionVersionFor(protocolVersion: number): EncryptionVersion {
  return protocolVersion === 1 ? 0 : 1;
}

/** Worst-case bytes that encryption adds (memberlist's encryptOverhead). */
export function encryptOverhead(vsn: EncryptionVersion): number {
  return vsn === 0 ? 45 : 29;
}

/** The size of the encrypted form of `plainLength` bytes (memberlist's encryptedLength). */
export function encryptedLength(vsn: EncryptionVersion, plainLength: number): number {
  if (vsn >= 1) return VERSION_SIZE + NONCE_SIZE + plainLength + TAG_SIZE;
  const padding = BLOCK_SIZE - (plainLength % BLOCK_SIZE);
  return VERSION_SIZE + NONCE_SIZE + plainLength + padding + TAG_SIZE;
}

export function validateKey(key: Uint8Array): GossipWireError | undefined {
  const n = key.length;
  if (n !== 16 && n !== 24 && n !== 32) {
    return new GossipWireError('invalid', 'key size must be 16, 24 or 32 bytes');
  }
  return undefined;
}

function cipherName(key: Uint8Array): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  const err = validateKey(key);
  if (err !== undefined) throw err;
  return key.length === 16 ? 'aes-128-gcm' : key.length === 24 ? 'aes-192-gcm' : 'aes-256-gcm';
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The keys a node can decrypt with; the first is the primary key, used to encrypt. Same rules
 * as memberlist's Keyring: adding a present key is a no-op, the primary cannot be removed,
 * useKey only selects an installed key.
 */
export class Keyring {
  private keys: Uint8Array[] = [];

  /** Throws GossipWireError('invalid') on a bad key. */
  constructor(primaryKey?: Uint8Array, otherKeys: readonly Uint8Array[] = []) {
    if (primaryKey === undefined) {
      if (otherKeys.length > 0)
        throw new GossipWireError('invalid', 'Empty primary key not allowed');
      return;
    }
    this.addKey(primaryKey);
    for (const k of otherKeys) this.addKey(k);
  }

  /** Installs a key for decryption (the first key installed becomes primary). */
  addKey(key: Uint8Array): void {
    const err = validateKey(key);
    if (err !== undefined) throw err;
    if (this.keys.some((k) => equal(k, key))) return;
    const copy = key.slice();
    this.keys = this.keys.length === 0 ? [copy] : [...this.keys, copy];
  }

  /** Makes an installed key the primary (encrypting) key. */
  useKey(key: Uint8Array): void {
    const found = this.keys.find((k) => equal(k, key));
    if (found === undefined)
      throw new GossipWireError('invalid', 'Requested key is not in the keyring');
    this.keys = [found, ...this.keys.filter((k) => k !== found)];
  }

  /** Removes a non-primary key. */
  removeKey(key: Uint8Array): void {
    const primary = this.keys[0];
    if (primary !== undefined && equal(primary, key)) {
      throw new GossipWireError('invalid', 'Removing the primary key is not allowed');
    }
    this.keys = this.keys.filter((k) => !equal(k, key));
  }

  getKeys(): readonly Uint8Array[] {
    return this.keys;
  }

  getPrimaryKey(): Uint8Array | undefined {
    return this.keys[0];
  }

  /** memberlist's EncryptionEnabled(): a keyring with at least one key. */
  get enabled(): boolean {
    return this.keys.length > 0;
  }
}

/** Encrypts `msg` (memberlist's encryptPayload). `nonce` is only for tests; default random. */
export function encryptPayload(
  vsn: EncryptionVersion,
  key: Uint8Array,
  msg: Uint8Array,
  data: Uint8Array = EMPTY,
  nonce: Uint8Array = randomBytes(NONCE_SIZE),
): Uint8Array {
  let plain = msg;
  if (vsn === 0) {
    const more = BLOCK_SIZE - (msg.length % BLOCK_SIZE);
    plain = new Uint8Array(msg.length + more);
    plain.set(msg);
    plain.fill(more, msg.length);
  }
  const cipher = createCipheriv(cipherName(key), key, nonce, { authTagLength: TAG_SIZE });
  if (data.length > 0) cipher.setAAD(data);
  const body = cipher.update(plain);
  const rest = cipher.final();
  const tag = cipher.getAuthTag();
  const out = new Uint8Array(VERSION_SIZE + NONCE_SIZE + body.length + rest.length + TAG_SIZE);
  out[0] = vsn;
  out.set(nonce.subarray(0, NONCE_SIZE), VERSION_SIZE);
  out.set(body, VERSION_SIZE + NONCE_SIZE);
  out.set(rest, VERSION_SIZE + NONCE_SIZE + body.length);
  out.set(tag, VERSION_SIZE + NONCE_SIZE + body.length + rest.length);
  return out;
}

function tryDecrypt(key: Uint8Array, msg: Uint8Array, data: Uint8Array): Uint8Array | undefined {
  try {
    const nonce = msg.subarray(VERSION_SIZE, VERSION_SIZE + NONCE_SIZE);
    const body = msg.subarray(VERSION_SIZE + NONCE_SIZE, msg.length - TAG_SIZE);
    const tag = msg.subarray(msg.length - TAG_SIZE);
    const d = createDecipheriv(cipherName(key), key, nonce, { authTagLength: TAG_SIZE });
    d.setAuthTag(tag);
    if (data.length > 0) d.setAAD(data);
    const a = d.update(body);
    const b = d.final();
    const out = new Uint8Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
  } catch {
    return undefined;
  }
}

/** Decrypts with each key in turn (memberlist's decryptPayload); GossipWireError on failure. */
export function decryptPayload(
  keys: readonly Uint8Array[],
  msg: Uint8Array,
  data: Uint8Array = EMPTY,
): Uint8Array {
  if (msg.length === 0) throw new GossipWireError('decrypt', 'Cannot decrypt empty payload');
  const vsn = msg[0] ?? 0;
  if (vsn > 1)
    throw new GossipWireError('decrypt', `Unsupported encryption version ${String(vsn)}`);
  if (msg.length < encryptedLength(vsn === 0 ? 0 : 1, 0)) {
    throw new GossipWireError('decrypt', `Payload is too small to decrypt: ${String(msg.length)}`);
  }
  for (const key of keys) {
    const plain = tryDecrypt(key, msg, data);
    if (plain === undefined) continue;
    if (vsn !== 0) return plain;
    const pad = plain[plain.length - 1] ?? 0;
    if (pad < 1 || pad > BLOCK_SIZE || pad > plain.length) {
      throw new GossipWireError('decrypt', 'bad PKCS7 padding');
    }
    return plain.subarray(0, plain.length - pad);
  }
  throw new GossipWireError('decrypt', 'No installed keys could decrypt the message');
}
