// Query parsing without a server: Go durations, blocking bounds and jitter, integer limits.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../../src/api/errors.ts';
import { listKeys } from '../../src/api/kv.ts';
import {
  DEFAULT_WAIT_MS,
  MAX_WAIT_MS,
  parseGoDuration,
  parseUint,
  readOptions,
} from '../../src/api/query.ts';
import { isHostPort } from '../../src/api/seed-compat.ts';
import type { KvEntry } from '../../src/state/index.ts';

test('Go durations parse as Go parses them, in milliseconds', () => {
  const ok: [string, number][] = [
    ['0', 0],
    ['10s', 10_000],
    ['5m', 300_000],
    ['100ms', 100],
    ['1.5h', 5_400_000],
    ['2m30s', 150_000],
    ['.5s', 500],
    ['1.s', 1000],
    ['1500us', 1.5],
    ['1500µs', 1.5],
    ['2000000ns', 2],
    ['-1s', -1000],
    ['+3s', 3000],
  ];
  for (const [text, ms] of ok) assert.equal(parseGoDuration(text), ms, text);
  for (const bad of ['', '30', 's', '.s', '1x', '1 s', '1s2', '-', '1.2.3s', 'ms5']) {
    assert.equal(parseGoDuration(bad), null, bad);
  }
});

test('wait defaults to 5 minutes, is capped at 10, and gets at most wait/16 of jitter', () => {
  const none = (): number => 0;
  const most = (): number => 0.999999;
  assert.equal(readOptions({ index: '5' }, none).waitMs, DEFAULT_WAIT_MS);
  assert.equal(readOptions({ index: '5', wait: '0s' }, none).waitMs, DEFAULT_WAIT_MS);
  assert.equal(readOptions({ index: '5', wait: '1h' }, none).waitMs, MAX_WAIT_MS);
  assert.equal(readOptions({ index: '5', wait: '16s' }, none).waitMs, 16_000);
  const jittered = readOptions({ index: '5', wait: '16s' }, most).waitMs;
  assert.ok(jittered > 16_000 && jittered < 17_000, String(jittered));
  assert.ok(readOptions({ wait: '1h' }, most).waitMs < MAX_WAIT_MS * (1 + 1 / 16));
});

test('read options: consistency modes, empty index ignored, repeated parameters take the first', () => {
  assert.deepEqual(
    readOptions({}, () => 0),
    { stale: false, minIndex: 0, waitMs: DEFAULT_WAIT_MS },
  );
  assert.equal(readOptions({ stale: '' }, () => 0).stale, true);
  assert.equal(readOptions({ consistent: '' }, () => 0).stale, false);
  assert.equal(readOptions({ index: '' }, () => 0).minIndex, 0);
  assert.equal(readOptions({ index: ['7', '9'] }, () => 0).minIndex, 7);
  assert.throws(() => readOptions({ stale: '', consistent: '' }, () => 0), ApiError);
});

test('integers must be decimal, non-negative and exact', () => {
  assert.equal(parseUint('cas', '0'), 0);
  assert.equal(parseUint('cas', String(Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER);
  for (const bad of ['', '-1', '1.0', '0x10', '1e3', ' 1', '9007199254740992']) {
    assert.throws(
      () => parseUint('cas', bad),
      (e: unknown) => e instanceof ApiError && e.status === 400 && e.field === 'cas',
      bad,
    );
  }
});

test('keys with a separator cut after the first separator past the prefix, once each', () => {
  const e = (key: string): KvEntry => ({
    key,
    value: new Uint8Array(0),
    flags: 0,
    createIndex: 1,
    modifyIndex: 1,
    lockIndex: 0,
  });
  const entries = ['a/b', 'a/c/d', 'a/c/e', 'a/f/', 'a/g'].map(e);
  assert.deepEqual(listKeys(entries, 'a/', '/'), ['a/b', 'a/c/', 'a/f/', 'a/g']);
  assert.deepEqual(listKeys(entries, '', '/'), ['a/']);
  assert.deepEqual(listKeys(entries, 'a/', ''), ['a/b', 'a/c/d', 'a/c/e', 'a/f/', 'a/g']);
  assert.deepEqual(listKeys(entries, 'a/', '::'), ['a/b', 'a/c/d', 'a/c/e', 'a/f/', 'a/g']);
  assert.deepEqual(listKeys(['x::y::z', 'x::y::w'].map(e), 'x', '::'), ['x::']);
});

test('join addresses are host:port with a valid port', () => {
  for (const ok of ['127.0.0.1:12001', 'node-2.local:8300', '[::1]:8300', 'h:1', 'h:65535']) {
    assert.equal(isHostPort(ok), true, ok);
  }
  for (const bad of ['', 'host', ':80', 'h:0', 'h:65536', 'h:-1', 'a b:1', '::1:80', 'h:80/x']) {
    assert.equal(isHostPort(bad), false, bad);
  }
});
