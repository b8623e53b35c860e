// Fault injection below LmdbStorage: raw lmdb writes (a torn or missing record) and byte flips
// in the files themselves (bit rot that neither lmdb nor the file system notices).
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { open, type Database } from 'lmdb';
import { LmdbStorage, type StorageLogger } from '../../src/storage/index.ts';
import { CaptureLogger } from './helpers.ts';

/** The layout LmdbStorage uses (see lmdb-storage.ts). */
export const lmdbPath = (dataDir: string): string => join(dataDir, 'raft.lmdb');

export async function rawLmdb(
  dataDir: string,
  edit: (log: Database<Buffer, number>, meta: Database<Buffer, string>) => void,
): Promise<void> {
  const root = open<Buffer, string>({ path: lmdbPath(dataDir), encoding: 'binary' });
  try {
    const log = root.openDB<Buffer, number>({ name: 'log', encoding: 'binary' });
    const meta = root.openDB<Buffer, string>({ name: 'meta', encoding: 'binary' });
    edit(log, meta);
    await root.flushed;
  } finally {
    await root.close();
  }
}

/** Flips one bit in every copy of `marker` in the file; returns how many copies it found. */
export async function flipInFile(path: string, marker: string, offset = 0): Promise<number> {
  const bytes = await readFile(path);
  const needle = Buffer.from(marker);
  let count = 0;
  for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) {
    const i = at + offset;
    bytes[i] = (bytes[i] ?? 0) ^ 0x04;
    count++;
  }
  await writeFile(path, bytes);
  return count;
}

/** Flips one bit near the end of a snapshot file (inside its data). */
export async function damageSnapshot(dataDir: string, index: number): Promise<void> {
  const dir = join(dataDir, 'snapshots');
  const name = (await readdir(dir)).find((n) =>
    n.endsWith(`-${String(index).padStart(20, '0')}.snap`),
  );
  if (name === undefined) throw new Error(`no snapshot file at index ${index}`);
  const bytes = await readFile(join(dir, name));
  const last = bytes.length - 1;
  bytes[last] = (bytes[last] ?? 0) ^ 0x01;
  await writeFile(join(dir, name), bytes);
}

/** Opens, loads and closes DATA_DIR as node `nodeId`, returning what a restart would see. */
export async function restart(dataDir: string, logger: StorageLogger = new CaptureLogger()) {
  const s = await LmdbStorage.open({ dataDir, nodeId: 'n1', logger });
  try {
    const initial = await s.load();
    return { initial, first: s.firstIndex(), last: s.lastIndex() };
  } finally {
    await s.close();
  }
}

/** Opens DATA_DIR as n1, runs `body` on the loaded storage, closes it. */
export async function withNode(
  dataDir: string,
  body: (s: LmdbStorage) => Promise<void>,
): Promise<void> {
  const s = await LmdbStorage.open({ dataDir, nodeId: 'n1', logger: new CaptureLogger() });
  try {
    await s.load();
    await body(s);
  } finally {
    await s.close();
  }
}
