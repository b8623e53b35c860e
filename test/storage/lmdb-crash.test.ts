// An unclean stop (SIGKILL mid-write) loses nothing that was acknowledged.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { restart } from './disk.ts';
import { entries, tempDir } from './helpers.ts';

const writer = fileURLToPath(new URL('./crash-writer.ts', import.meta.url));

/** Runs the writer until it acknowledged `atLeast` entries, kills it; returns the last ack. */
function runAndKill(dataDir: string, atLeast: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, dataDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let acked = 0;
    let buffered = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) acked = Number(line.split(' ')[1]);
      if (acked >= atLeast) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`writer exited early (acked ${acked})`));
    });
  });
}

test('SIGKILL while persisting keeps every acknowledged entry, and restarts cleanly', async () => {
  const dir = await tempDir();
  try {
    const acked = await runAndKill(dir.path, 100);
    const after = await restart(dir.path);
    assert.ok(after.last >= acked, `last ${after.last} < acknowledged ${acked}`);
    assert.deepEqual(after.initial.entries, entries(1, after.last, 1));
    assert.ok(after.initial.hardState.commit >= acked);
  } finally {
    await dir.remove();
  }
});
