// The e2e history recorder itself (no processes): how HTTP outcomes become ok/fail/info, and that
// histories recorded this way let the checker catch what the real-process tests look for.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HttpOutcome } from './cluster.ts';
import { HistoryRecorder, parseRead, writeOutcome } from './history.ts';

const response = (status: number, body: string): HttpOutcome => ({
  kind: 'response',
  status,
  body,
  headers: {},
});
const failure = (code: string, connected: boolean, timedOut = false): HttpOutcome => ({
  kind: 'error',
  code,
  message: code,
  connected,
  timedOut,
});

describe('e2e history recording', () => {
  test('write outcomes: only what the API guarantees is a definite failure', () => {
    const cases: [HttpOutcome, string][] = [
      [response(200, 'true'), 'ok'],
      [response(500, 'No cluster leader'), 'fail'],
      [response(503, 'leadership transfer in progress, retry: x'), 'fail'],
      [response(400, '{"error":"bad","field":"cas"}'), 'fail'],
      [failure('ECONNREFUSED', false), 'fail'],
      [response(500, 'Write outcome unknown (it may or may not have been applied)'), 'info'],
      [response(500, 'internal error: boom'), 'info'],
      [failure('ECONNRESET', true), 'info'],
      [failure('ETIMEDOUT', true, true), 'info'],
    ];
    for (const [o, expected] of cases)
      assert.equal(writeOutcome(o).type, expected, JSON.stringify(o));
  });

  test('reads: 404 is an ok read of absent; errors observed nothing', () => {
    assert.deepEqual(parseRead(response(404, '')).value, null);
    assert.equal(parseRead(response(404, '')).type, 'ok');
    const body = JSON.stringify([
      { Key: 'k', Value: Buffer.from('v1').toString('base64'), ModifyIndex: 7 },
    ]);
    assert.deepEqual(
      { ...parseRead(response(200, body)), detail: '' },
      { type: 'ok', value: 'v1', modifyIndex: 7, detail: '' },
    );
    assert.equal(parseRead(response(500, 'No cluster leader')).type, 'fail');
    assert.equal(parseRead(failure('ECONNRESET', true)).type, 'fail');
  });

  test('a lost acknowledged write is caught by a later read', () => {
    const h = new HistoryRecorder();
    h.invoke(0, 'write', 'k', 'a');
    h.complete(0, 'ok', 'write', 'k', 'a');
    h.invoke(0, 'write', 'k', 'b');
    h.complete(0, 'ok', 'write', 'k', 'b');
    h.invoke(1, 'read', 'k', null);
    h.complete(1, 'ok', 'read', 'k', 'a');
    assert.equal(h.check().ok, false);
  });

  test('a write recorded as definitely failed must not be observed', () => {
    const h = new HistoryRecorder();
    h.invoke(0, 'write', 'k', 'a');
    h.complete(0, 'fail', 'write', 'k', 'a');
    h.invoke(1, 'read', 'k', null);
    h.complete(1, 'ok', 'read', 'k', 'a');
    assert.equal(h.check().ok, false);
    // The same write with an unknown outcome may have happened.
    const u = new HistoryRecorder();
    u.invoke(0, 'write', 'k', 'a');
    u.complete(0, 'info', 'write', 'k', 'a');
    u.invoke(1, 'read', 'k', null);
    u.complete(1, 'ok', 'read', 'k', 'a');
    assert.equal(u.check().ok, true);
  });

  test('a cas recorded as not swapped claims the value was not the expected one', () => {
    const h = new HistoryRecorder();
    h.invoke(0, 'write', 'k', 'a');
    h.complete(0, 'ok', 'write', 'k', 'a');
    h.invoke(0, 'cas', 'k', ['a', 'b']);
    h.complete(0, 'fail', 'cas', 'k', ['a', 'b']);
    assert.equal(h.check().ok, false);
    // Which is why a cas that never ran is recorded as info, never as fail.
    const u = new HistoryRecorder();
    u.invoke(0, 'write', 'k', 'a');
    u.complete(0, 'ok', 'write', 'k', 'a');
    u.invoke(0, 'cas', 'k', ['a', 'b']);
    u.complete(0, 'info', 'cas', 'k', ['a', 'b']);
    u.invoke(1, 'read', 'k', null);
    u.complete(1, 'ok', 'read', 'k', 'a');
    assert.equal(u.check().ok, true);
  });
});
