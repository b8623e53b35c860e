import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { backoffDelay } from '../../src/transport/index.ts';
import { FrameQueue } from '../../src/transport/frame-queue.ts';

const frame = (tag: number, bytes: number): Buffer => Buffer.alloc(bytes, tag);

test('the frame queue drops the oldest frames to make room, and refuses oversize ones', () => {
  const q = new FrameQueue(100);
  assert.equal(q.push(frame(1, 40)), 0);
  assert.equal(q.push(frame(2, 40)), 0);
  assert.equal(q.push(frame(3, 40)), 1, 'frame 1 goes');
  assert.equal(q.bytes, 80);
  assert.equal(q.push(frame(4, 101)), 1, 'larger than the whole bound');
  assert.deepEqual([q.shift()?.[0], q.shift()?.[0], q.shift()], [2, 3, undefined]);
  assert.equal(q.bytes, 0);
});

test('the frame queue stays within its bound and FIFO under any pushes and shifts', () => {
  const op = fc.oneof(fc.integer({ min: 1, max: 60 }), fc.constant(0));
  fc.assert(
    fc.property(fc.array(op, { maxLength: 3000 }), (ops) => {
      const q = new FrameQueue(200);
      let last = -1;
      ops.forEach((size, i) => {
        if (size === 0) {
          const f = q.shift();
          if (f !== undefined) {
            assert.ok(f.readUInt32BE(0) > last, 'FIFO');
            last = f.readUInt32BE(0);
          }
        } else {
          const f = Buffer.alloc(Math.max(size, 4));
          f.writeUInt32BE(i);
          q.push(f);
        }
        assert.ok(q.bytes <= 200);
      });
    }),
  );
});

test('backoff grows exponentially, is capped, and jitters within [base/2, base]', () => {
  const policy = (r: number) => ({
    minMs: 100,
    maxMs: 5000,
    random: { int: (n: number) => Math.min(r, n - 1) },
  });
  assert.equal(backoffDelay(policy(0), 0), 50);
  assert.equal(backoffDelay(policy(1e9), 0), 100);
  assert.equal(backoffDelay(policy(1e9), 3), 800);
  assert.equal(backoffDelay(policy(1e9), 10), 5000);
  assert.equal(backoffDelay(policy(0), 1000), 2500, 'huge attempt counts do not overflow');
});
