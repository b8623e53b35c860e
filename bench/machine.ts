// What the figures were measured on: CPU, memory, the disk under the data directories (and how
// long a 4 KiB write + fdatasync takes there), kernel, Node.js and etcd versions.
import { execFileSync } from 'node:child_process';
import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { percentile } from './load.ts';

export interface Machine {
  readonly cpu: string;
  readonly nproc: number;
  readonly memory: string;
  readonly kernel: string;
  readonly disk: string;
  readonly fsync: string;
  readonly node: string;
  readonly etcd: string;
  /** 1/5/15-minute load averages when the run started (the machine may be shared). */
  readonly loadAverage: string;
}

function run(cmd: string, args: readonly string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

/** Filesystem, device and rotational flag of the disk holding `dir`. */
function diskOf(dir: string): string {
  const df = run('df', ['-T', '-h', dir]).split('\n')[1]?.split(/\s+/) ?? [];
  const [device = '?', fsType = '?', size = '?'] = df;
  const base = device.replace(/^\/dev\//, '').replace(/[0-9]+$/, '');
  const rot = run('cat', [`/sys/block/${base}/queue/rotational`]);
  // Virtual disks often claim rotational=1 whatever backs them: report the flag, not a guess.
  const kind = rot === '' ? 'rotational flag unknown' : `kernel reports rotational=${rot}`;
  return `${device} (${fsType}, ${size}, ${kind}) for ${dir}`;
}

/** Median and p99 of `n` sequential 4 KiB writes each followed by fdatasync, in `dir`. */
export function fsyncProbe(dir: string, n = 200): string {
  const path = join(dir, 'fsync-probe');
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(4096, 1);
  const t = new Float64Array(n);
  try {
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      writeSync(fd, block, 0, block.length, i * block.length);
      fdatasyncSync(fd);
      t[i] = performance.now() - t0;
    }
  } finally {
    closeSync(fd);
    rmSync(path, { force: true });
  }
  t.sort();
  return `4 KiB write + fdatasync: p50 ${percentile(t, 50).toFixed(3)} ms, p99 ${percentile(t, 99).toFixed(3)} ms (${n} sequential)`;
}

export function describeMachine(dataDir: string, etcd: string | null): Machine {
  const c = cpus();
  return {
    cpu: c[0]?.model ?? 'unknown',
    nproc: Number(run('nproc', [])) || c.length,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: `Linux ${release()}`,
    disk: diskOf(dataDir),
    fsync: fsyncProbe(dataDir),
    node: process.version,
    etcd: etcd ?? 'not installed',
    loadAverage: loadavg()
      .map((x) => x.toFixed(2))
      .join(' / '),
  };
}
