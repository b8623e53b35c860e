// `--tags consensus` with real processes, --voters 3 and three untagged voters. An untagged
// replica (stable for longer) and a tagged one are both ready when a voter slot opens (a voter
// is SIGKILLed): autopilot fills the slot with the tagged one. Then a second tagged agent joins
// while all voters are healthy: autopilot swaps it in for an untagged voter (never the leader
// itself), so both tagged agents end up voters and the untagged replica stays a replica.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaults as agentDefaults } from '../../src/agent/options.ts';
import { leaderTickMs } from '../../src/cluster/index.ts';
import { autopilotActions, autopilotCluster, roles, servers } from './autopilot-checks.ts';
import { mustHttp, sleep, waitFor } from './cluster.ts';

const TICK_MS = 50;
const STABILIZATION_MS = 2_500;
/**
 * Longer than the stabilization, so the tagged replica (added when the voter is killed, at the
 * latest) is ready by the time the dead voter stops counting toward --voters.
 */
const FAILED_GRACE_MS = 3_000;
const ELECTION_MS = agentDefaults.electionTicks * TICK_MS;
const MARGIN_MS = 5_000;
/** Dead voter unhealthy after an election timeout, then the grace, then a leader-loop round. */
const SLOT_BOUND_MS = ELECTION_MS + FAILED_GRACE_MS + 2 * leaderTickMs + MARGIN_MS;

describe('e2e: autopilot prefers agents tagged consensus', { timeout: 90_000 }, () => {
  const cluster = autopilotCluster({
    name: 'autopilot-tags',
    tickMs: TICK_MS,
    stabilizationMs: STABILIZATION_MS,
    failedGraceMs: FAILED_GRACE_MS,
  });

  test('a tagged replica takes the open slot, and tagged agents are swapped in', async () => {
    await cluster.diagnose(async () => {
      const leader = await cluster.form(['v1', 'v2', 'v3'], '3');
      const learnerOf = async (id: string): Promise<boolean> =>
        (await servers(leader)).some((s) => s.ID === id && !s.Voter && s.Healthy);

      // The untagged replica's id sorts first and it is stable for longer: only the tag can
      // put t5 ahead of it.
      const a4 = await cluster.define('a4');
      a4.start();
      await a4.waitReady();
      await waitFor('a4 to be a healthy replica', 20_000, async () =>
        (await learnerOf('a4')) ? true : undefined,
      );
      await sleep(STABILIZATION_MS + 2 * leaderTickMs); // a4 is ready to be promoted

      const t5 = await cluster.define('t5');
      t5.start(['--tags', 'consensus']);
      await t5.waitReady();
      await waitFor('t5 to be a healthy replica', 20_000, async () =>
        (await learnerOf('t5')) ? true : undefined,
      );
      // Open a slot now: t5 is a replica for less than the stabilization time, so it becomes
      // ready before the killed voter stops counting, and no swap can happen first (a swap
      // needs every voter healthy).
      const victim = [cluster.get('v1'), cluster.get('v2'), cluster.get('v3')].find(
        (a) => a !== leader,
      );
      assert.ok(victim !== undefined);
      const before = await roles(leader);
      assert.deepEqual(before.learners, ['a4', 't5'], 'both are replicas when the slot opens');
      const killedAt = Date.now();
      await victim.kill9();

      await waitFor('a voter to replace the killed one', SLOT_BOUND_MS, async () => {
        const v = (await servers(leader)).filter((s) => s.Voter && s.Healthy && s.ID !== victim.id);
        return v.length === 3 ? true : undefined;
      });
      const promotions = autopilotActions(leader).filter(
        (a) => a.type === 'promote' && a.time >= killedAt,
      );
      const first = promotions[0];
      assert.ok(first !== undefined, 'the leader logged a promotion');
      assert.equal(first.node, 't5', 'the tagged replica fills the slot, not the untagged a4');
      assert.match(first.reason, /target voters are healthy/, 'promoted to fill the slot');
      const afterSlot = await roles(leader);
      assert.ok(afterSlot.voters.includes('t5'));
      assert.ok(afterSlot.learners.includes('a4'), 'a4 is still a replica');

      // All voters healthy again (the dead one removed), then a second tagged agent arrives.
      const three = await waitFor(`${victim.id} to leave the voters`, 40_000, async () => {
        const r = await roles(leader);
        return r.voters.length === 3 && !r.voters.includes(victim.id) ? r.voters : undefined;
      });
      const other = three.find((id) => id !== leader.id && id !== 't5');
      assert.ok(other !== undefined, `an untagged voter besides the leader: ${three.join()}`);
      const t6 = await cluster.define('t6');
      t6.start(['--tags', 'consensus']);
      await t6.waitReady();
      const final = await waitFor('t6 to be swapped in for an untagged voter', 30_000, async () => {
        const r = await roles(leader);
        return r.voters.join() === [leader.id, 't5', 't6'].sort().join() ? r : undefined;
      });
      assert.ok(final.learners.includes('a4'), 'the untagged a4 stays a replica');
      const swap = autopilotActions(leader).find((a) => a.type === 'promote' && a.node === 't6');
      assert.match(swap?.reason ?? '', /tagged consensus/, 't6 promoted for its tag');
      const removal = autopilotActions(leader).find((a) => a.type === 'remove' && a.node === other);
      assert.match(removal?.reason ?? '', /exceed the target/, `${other} removed as the extra`);
      // The swapped-out voter is alive: it comes back as a replica.
      await waitFor(`${other} to be a replica again`, 20_000, async () =>
        (await roles(leader)).learners.includes(other) ? true : undefined,
      );

      // The members table (replicated, read on a replica) carries the tags autopilot went by.
      await waitFor("the tags in a4's members table", 10_000, async () => {
        const body = (await mustHttp(a4.httpAddr, 'GET', '/v1/sappers/members?stale')).body;
        const rows = JSON.parse(body) as { ID: string; Tags: string[] }[];
        const tags = (id: string): string =>
          JSON.stringify(rows.find((m) => m.ID === id)?.Tags ?? null);
        return tags('t5') === '["consensus"]' &&
          tags('t6') === '["consensus"]' &&
          tags('a4') === '[]'
          ? true
          : undefined;
      });
    });
  });
});
