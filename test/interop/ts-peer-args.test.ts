// The Sappers peer program takes the Go peer's flags as Go spells them, and bad input is an
// error that names the flag.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlagError, parseFlags, parseHostPort } from '../../interop/ts-peer/args.ts';
import { defaultLANConfig, defaultLocalConfig } from '../../src/gossip/core/index.ts';

test('Go-style flags: -k=v, -k v, --k=v, bare booleans, defaults', () => {
  const f = parseFlags([
    '-name=a',
    '-port',
    '7000',
    '--config=lan',
    '-compression=false',
    '-interval',
    '250ms',
    '-join=127.0.0.1:1,127.0.0.1:2',
    '-log',
    '-drop=0.25',
    '-drop-streams',
    '0.5',
    '-protocol=5',
  ]);
  assert.equal(f.name, 'a');
  assert.equal(f.port, 7000);
  assert.deepEqual(f.config, { ...defaultLANConfig, protocolVersion: 5 });
  assert.equal(f.compression, false);
  assert.equal(f.intervalMs, 250);
  assert.deepEqual(f.join, ['127.0.0.1:1', '127.0.0.1:2']);
  assert.equal(f.log, true);
  assert.equal(f.drop, 0.25);
  assert.equal(f.dropStreams, 0.5);
  const d = parseFlags(['-name', 'b']);
  assert.equal(d.config, defaultLocalConfig);
  assert.equal(d.compression, true);
  assert.equal(d.port, 0);
  assert.equal(d.intervalMs, 1000);
  assert.equal(parseFlags(['-name=c', '-interval=0']).intervalMs, 0);
  assert.equal(parseFlags(['-name=c', '-interval=1.5s']).intervalMs, 1500);
});

test('bad flags are FlagErrors naming the flag', () => {
  const cases: [string[], RegExp][] = [
    [[], /-name: required/],
    [['-name=a', '-port=70000'], /-port/],
    [['-name=a', '-config=wan'], /-config/],
    [['-name=a', '-interval=5'], /-interval/],
    [['-name=a', '-drop=1'], /-drop/],
    [['-name=a', '-drop-streams=-0.1'], /-drop-streams/],
    [['-name=a', '-compression=maybe'], /-compression/],
    [['-name=a', '-protocol=9'], /-protocol/],
    [['-name=a', '-colour=red'], /-colour: unknown flag/],
    [['-name=a', 'stray'], /unexpected argument/],
    [['-name'], /-name: needs a value/],
  ];
  for (const [argv, re] of cases) {
    assert.throws(
      () => parseFlags(argv),
      (e: unknown) => e instanceof FlagError && re.test(e.message),
      argv.join(' '),
    );
  }
  assert.deepEqual(parseHostPort('join', '[::1]:7946'), { host: '::1', port: 7946 });
  assert.throws(() => parseHostPort('join', 'nohost'), /-join: expected host:port/);
});
