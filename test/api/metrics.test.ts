// GET /v1/agent/metrics: Consul's MetricsSummary shape with this agent's gauges and counters.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toConsulMetrics } from '../../src/api/agent.ts';

test('counters and gauges take Consul names, sorted, cumulative counts', () => {
  const m = toConsulMetrics(
    {
      counters: { 'sappers.gossip.bad_packets': 3, 'sappers.gossip.packets_in': 10 },
      gauges: { 'sappers.raft.term': 4, 'sappers.raft.is_leader': 1 },
    },
    new Date('2026-11-27T07:10:20.123Z'),
  );
  assert.equal(m.Timestamp, '2026-11-27 07:10:20 +0000 UTC');
  assert.deepEqual(
    m.Gauges.map((g) => [g.Name, g.Value]),
    [
      ['sappers.raft.is_leader', 1],
      ['sappers.raft.term', 4],
    ],
  );
  assert.deepEqual(m.Counters[0], {
    Name: 'sappers.gossip.bad_packets',
    Count: 3,
    Rate: 0,
    Sum: 3,
    Min: 3,
    Max: 3,
    Mean: 3,
    Stddev: 0,
    Labels: {},
  });
  assert.deepEqual(m.Points, []);
  assert.deepEqual(m.Samples, []);
});
