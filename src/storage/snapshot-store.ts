// Snapshot files in DATA_DIR/snapshots/, named <term>-<index>.snap (zero-padded, so a directory
// listing sorts like the snapshots). Each is written to *.tmp, fsynced, renamed, and the directory
// fsynced: a crash leaves either the old set or the new file complete, never a torn .snap.
// Layout: magic "SAPSNAP\0" | version u32 | meta length u32 | data length u64 |
// SHA-256 over (version..data length, meta, data) | meta (msgpack) | data.
// Damage that happens later (bit rot, a bad copy) fails the checksum at load: the file is
// renamed to *.corrupt (kept for the operator, out of the listing) and the previous one is tried.
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Snapshot } from '../raft/index.ts';
import { pack, toSnapshotMeta, unpack } from './codec.ts';
import type { StorageLogger } from './durable.ts';
import { RecordError } from './errors.ts';

const MAGIC = Buffer.from('SAPSNAP\0', 'latin1');
const VERSION = 1;
const DIGEST_AT = 24;
const HEADER_LEN = DIGEST_AT + 32;
const NAME = /^(\d{20})-(\d{20})\.snap$/;

export interface SnapshotFile {
  readonly index: number;
  readonly term: number;
  readonly path: string;
}

export interface LoadedSnapshot {
  readonly snapshot: Snapshot | null;
  /** Newest first: the files that failed verification before `snapshot` was found. */
  readonly rejected: readonly { readonly file: SnapshotFile; readonly reason: string }[];
}

export class SnapshotStore {
  readonly dir: string;
  private readonly logger: StorageLogger;
  private readonly keep: number;

  private constructor(dir: string, logger: StorageLogger, keep: number) {
    this.dir = dir;
    this.logger = logger;
    this.keep = keep;
  }

  /** Creates the directory if needed and deletes *.tmp files a crash left behind. */
  static async open(dir: string, logger: StorageLogger, keep = 2): Promise<SnapshotStore> {
    if ((await mkdir(dir, { recursive: true })) !== undefined) await syncDir(dirname(dir));
    const leftovers = (await readdir(dir)).filter((n) => n.endsWith('.tmp'));
    for (const name of leftovers) await rm(join(dir, name), { force: true });
    if (leftovers.length > 0) {
      logger.info({ dir, files: leftovers }, 'removed unfinished snapshot files');
      await syncDir(dir);
    }
    return new SnapshotStore(dir, logger, keep);
  }

  /** Snapshots on disk, newest first (not verified: see read). */
  async list(): Promise<SnapshotFile[]> {
    const files: SnapshotFile[] = [];
    for (const name of await readdir(this.dir)) {
      const m = NAME.exec(name);
      if (m === null) continue;
      files.push({ term: Number(m[1]), index: Number(m[2]), path: join(this.dir, name) });
    }
    return files.sort((a, b) => b.index - a.index || b.term - a.term);
  }

  /** Writes durably, then deletes all but the newest `keep`; returns the ones kept. */
  async write(snapshot: Snapshot): Promise<SnapshotFile[]> {
    const { index, term, config } = snapshot.meta;
    const path = join(this.dir, `${pad(term)}-${pad(index)}.snap`);
    const tmp = `${path}.tmp`;
    const meta = pack({ index, term, config });
    const head = await header(meta, snapshot.data);
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(head);
      await fh.writeFile(meta);
      await writeInSlices(fh, snapshot.data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    await syncDir(this.dir);
    return this.prune();
  }

  /** Reads and verifies one file; throws RecordError when it is damaged. */
  async read(file: SnapshotFile): Promise<Snapshot> {
    const snapshot = decode(await readFile(file.path));
    if (snapshot.meta.index !== file.index || snapshot.meta.term !== file.term)
      throw new RecordError('file name does not match the snapshot inside');
    return snapshot;
  }

  /** The newest snapshot that verifies; damaged newer ones are quarantined and reported. */
  async loadNewestValid(): Promise<LoadedSnapshot> {
    const rejected: { file: SnapshotFile; reason: string }[] = [];
    for (const file of await this.list()) {
      try {
        return { snapshot: await this.read(file), rejected };
      } catch (err) {
        if (!(err instanceof RecordError)) throw err;
        rejected.push({ file, reason: err.message });
        this.logger.warn(
          { path: file.path, reason: err.message },
          'snapshot failed verification; renamed to *.corrupt, trying the previous one',
        );
        await rename(file.path, `${file.path}.corrupt`);
        await syncDir(this.dir);
      }
    }
    return { snapshot: null, rejected };
  }

  private async prune(): Promise<SnapshotFile[]> {
    const files = await this.list();
    const old = files.slice(this.keep);
    for (const f of old) await rm(f.path, { force: true });
    if (old.length > 0) await syncDir(this.dir);
    return files.slice(0, this.keep);
  }
}

function pad(n: number): string {
  return String(n).padStart(20, '0');
}

function digest(fields: Uint8Array, meta: Uint8Array, data: Uint8Array): Buffer {
  return createHash('sha256').update(fields).update(meta).update(data).digest();
}

/**
 * Bytes written (and flushed) at a time. Flushing a large file in one go makes every other
 * fdatasync on the disk wait for it (the log's too, and on ext4 even other files' through the
 * shared journal), which stalls replication; small slices keep each such wait short.
 */
const writeSliceBytes = 1024 * 1024;

async function writeInSlices(fh: FileHandle, data: Uint8Array): Promise<void> {
  for (let at = 0; at < data.length;) {
    const end = Math.min(at + writeSliceBytes, data.length);
    while (at < end) {
      const { bytesWritten } = await fh.write(data, at, end - at);
      if (bytesWritten <= 0) throw new Error(`snapshot write made no progress at byte ${at}`);
      at += bytesWritten;
    }
    if (at < data.length) await fh.datasync();
  }
}

/** Bytes hashed per event-loop turn while writing, so a large snapshot never stalls the node. */
const hashSliceBytes = 1024 * 1024;

/** The same digest as `digest`, computed in slices with the event loop running in between. */
async function digestInSlices(
  fields: Uint8Array,
  meta: Uint8Array,
  data: Uint8Array,
): Promise<Buffer> {
  const h = createHash('sha256').update(fields).update(meta);
  for (let at = 0; at < data.length; at += hashSliceBytes) {
    h.update(data.subarray(at, Math.min(at + hashSliceBytes, data.length)));
    if (at + hashSliceBytes < data.length) await new Promise((r) => setImmediate(r));
  }
  return h.digest();
}

async function header(meta: Buffer, data: Uint8Array): Promise<Buffer> {
  const h = Buffer.alloc(HEADER_LEN);
  MAGIC.copy(h, 0);
  h.writeUInt32BE(VERSION, 8);
  h.writeUInt32BE(meta.length, 12);
  h.writeBigUInt64BE(BigInt(data.length), 16);
  (await digestInSlices(h.subarray(8, DIGEST_AT), meta, data)).copy(h, DIGEST_AT);
  return h;
}

function decode(bytes: Buffer): Snapshot {
  if (bytes.length < HEADER_LEN) throw new RecordError(`truncated file (${bytes.length} bytes)`);
  if (!bytes.subarray(0, MAGIC.length).equals(MAGIC)) throw new RecordError('bad magic');
  const version = bytes.readUInt32BE(8);
  if (version !== VERSION) throw new RecordError(`unsupported format version ${version}`);
  const metaEnd = HEADER_LEN + bytes.readUInt32BE(12);
  const size = metaEnd + Number(bytes.readBigUInt64BE(16));
  if (size !== bytes.length)
    throw new RecordError(`size mismatch: header says ${size} bytes, file has ${bytes.length}`);
  const meta = bytes.subarray(HEADER_LEN, metaEnd);
  const data = bytes.subarray(metaEnd);
  const expected = bytes.subarray(DIGEST_AT, HEADER_LEN);
  if (!digest(bytes.subarray(8, DIGEST_AT), meta, data).equals(expected))
    throw new RecordError('checksum mismatch');
  // A plain Uint8Array view (not a Buffer) of the file's own buffer: no copy of the data.
  const view = new Uint8Array(data.buffer, data.byteOffset, data.length);
  return { meta: toSnapshotMeta(unpack(meta)), data: view };
}

/** fsync a directory so a rename or unlink in it survives a crash. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
