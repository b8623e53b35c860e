import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { history } from './builder.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'lincheck-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const out = spawnSync(process.execPath, ['--import', 'tsx', 'src/lincheck/cli.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

describe('lincheck CLI', () => {
  it('prints linearizable and exits 0', () => {
    // A valid history is reported on stdout with exit code 0.
    const path = file('ok.jsonl', history().write(1, 'a').read(2, 'a').jsonl());
    assert.deepEqual(run(path), { code: 0, stdout: 'linearizable\n', stderr: '' });
  });

  it('prints the key and window and exits 1 for a violation', () => {
    // A stale read is reported with its key and one line per operation, exit code 1.
    const h = history().write(1, 'a', 'k1').write(1, 'b', 'k1').read(2, 'a', 'k1');
    const { code, stdout } = run(file('stale.jsonl', h.jsonl()));
    assert.equal(code, 1);
    const lines = stdout.split('\n');
    assert.equal(lines[0], 'not linearizable');
    assert.equal(lines[1], 'key: "k1"');
    assert.ok(lines.includes('  process 1: write "b" -> ok  [t=30..40]'), stdout);
    assert.ok(lines.includes('  process 2: read -> "a"  [t=50..60]'), stdout);
  });

  it('exits 2 naming the line and field of malformed input', () => {
    // Bad input is rejected on stderr with where and what is wrong.
    const text = `${history().write(1, 'a').jsonl()}{"process":1,"type":"invoke","f":"read","key":"k","value":null,"time":"soon"}\n`;
    const { code, stdout, stderr } = run(file('bad.jsonl', text));
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.match(stderr, /line 3, field "time": must be a non-negative integer, got "soon"/);
  });

  it('exits 2 without a file argument', () => {
    // The file argument is required.
    const { code, stderr } = run();
    assert.equal(code, 2);
    assert.match(stderr, /missing FILE argument/);
    assert.match(stderr, /usage: lincheck FILE/);
  });

  it('exits 2 for an unreadable file', () => {
    // A path that cannot be read is a clear error, not a crash.
    const { code, stderr } = run(join(dir, 'does-not-exist.jsonl'));
    assert.equal(code, 2);
    assert.match(stderr, /cannot read .*does-not-exist\.jsonl/);
  });

  it('exits 2 for a bad --max-states', () => {
    // The budget option must be a positive integer.
    const path = file('ok2.jsonl', history().write(1, 'a').jsonl());
    const { code, stderr } = run(path, '--max-states', 'lots');
    assert.equal(code, 2);
    assert.match(stderr, /--max-states must be a positive integer/);
  });

  it('prints unknown with the reason and exits 3 when over budget', () => {
    // When the search budget runs out, the verdict is unknown, exit code 3.
    const h = history();
    for (let i = 0; i < 10; i++) h.write(1, `v${i}`);
    const { code, stdout } = run(file('long.jsonl', h.jsonl()), '--max-states', '2');
    assert.equal(code, 3);
    assert.match(stdout, /^unknown\nkey: "k"\nsearch budget exceeded/);
  });
});
