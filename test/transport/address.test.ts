import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AddressError, formatHostPort, parseHostPort } from '../../src/transport/index.ts';

test('parses host:port, :port, and bracketed IPv6', () => {
  assert.deepEqual(parseHostPort(':12000'), { host: '', port: 12000 });
  assert.deepEqual(parseHostPort('10.0.0.5:12000'), { host: '10.0.0.5', port: 12000 });
  assert.deepEqual(parseHostPort('node-1.example:1'), { host: 'node-1.example', port: 1 });
  assert.deepEqual(parseHostPort('[::1]:12000'), { host: '::1', port: 12000 });
  assert.deepEqual(parseHostPort('[::]:65535'), { host: '::', port: 65535 });
  assert.deepEqual(parseHostPort(':0', { allowPortZero: true }), { host: '', port: 0 });
});

const bad: [string, RegExp][] = [
  ['', /empty/],
  ['host', /missing ":port"/],
  ['12000', /did you mean ":12000"/],
  ['host:', /missing port/],
  ['host:abc', /not a number/],
  ['host:-1', /not a number/],
  ['host:0', /out of range 1-65535/],
  ['host:65536', /out of range/],
  ['host:123456', /not a number/],
  ['::1:12000', /\[addr\]:port/],
  ['[::1', /missing "]"/],
  ['[::1]', /missing ":port"/],
  ['[::1]12000', /missing ":port"/],
  ['[nope]:1', /not an IPv6 address/],
  ['a b:1', /bad host/],
];

for (const [input, problem] of bad) {
  test(`rejects ${JSON.stringify(input)}`, () => {
    const r = parseHostPort(input);
    assert.ok(r instanceof AddressError, `expected an error for ${input}`);
    assert.match(r.message, problem);
    assert.ok(r.message.includes(JSON.stringify(input)), 'names the input');
  });
}

test('formats back, bracketing IPv6', () => {
  for (const s of [':12000', '10.0.0.5:1', '[::1]:12000', 'h:80']) {
    const r = parseHostPort(s);
    assert.ok(!(r instanceof AddressError));
    assert.equal(formatHostPort(r), s);
  }
});
