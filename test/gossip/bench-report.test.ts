// The generated gossip section of docs/BENCHMARKS.md: appended at the end when absent, replaced
// between its markers when present, everything outside the markers kept; the verdict column
// says whether Sappers is no worse than memberlist.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  beginMarker,
  endMarker,
  markdownSection,
  writeSection,
  type KindResults,
} from '../../bench/gossip/report.ts';

function results(kind: 'go' | 'ts', joinMs: number[], cpu: number): KindResults {
  return {
    kind,
    nodes: 32,
    formMs: 1000,
    joinMs,
    joinTimeouts: 0,
    detectFirstMs: [6000],
    detectAllMs: [6500],
    usage: { cpuPercent: [cpu], rssBytes: [10 * 2 ** 20] },
    loss: [{ rate: 0.1, windowMs: 30_000, falseVerdicts: 0, falseNodes: 0, healMs: 0 }],
  };
}

const report = {
  startedAt: '2026-01-01T00:00:00Z',
  command: 'npm run bench:gossip',
  machine: 'test',
  results: [results('go', [100, 300], 0.2), results('ts', [200, 250], 0.5)],
};

test('the section carries both columns and honest verdicts', () => {
  const md = markdownSection(report);
  assert.ok(md.startsWith(beginMarker) && md.trimEnd().endsWith(endMarker));
  const join = md.split('\n').find((l) => l.startsWith('| Join'));
  assert.match(join ?? '', /0\.20 s .*\| 0\.23 s .*\| no \(\+13%\) \|$/);
  const detect = md.split('\n').find((l) => l.startsWith('| SIGKILL: every'));
  assert.match(detect ?? '', /\| yes \|$/);
  const cpu = md.split('\n').find((l) => l.startsWith('| Idle CPU'));
  assert.match(cpu ?? '', /\| no \(\+150%\) \|$/);
});

test('written at the end once, then replaced in place', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-gossip-'));
  try {
    const path = join(dir, 'BENCHMARKS.md');
    writeFileSync(path, '# Benchmarks\n\nhand-written\n');
    writeSection(path, markdownSection(report));
    const first = readFileSync(path, 'utf8');
    assert.ok(first.startsWith('# Benchmarks\n\nhand-written\n\n' + beginMarker));
    const edited = first.replace('hand-written', 'hand-written, edited');
    writeFileSync(path, edited);
    writeSection(path, markdownSection({ ...report, machine: 'other' }));
    const second = readFileSync(path, 'utf8');
    assert.ok(second.includes('hand-written, edited'));
    assert.equal(second.split(beginMarker).length, 2, 'one section');
    assert.ok(second.includes('Machine: other') && !second.includes('Machine: test'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
