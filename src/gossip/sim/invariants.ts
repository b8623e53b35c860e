// End-of-run checks. After faults heal, every running node must see every running node alive
// (so no live, reachable node stays declared dead or suspect), and none may see a node that
// was killed or left as alive: all member lists agree.
import type { GossipCluster } from './cluster.ts';
import { nodeName } from './testkit.ts';

export interface ConvergenceReport {
  readonly ok: boolean;
  /** (observer, subject) pairs that disagree with the truth. */
  readonly wrong: number;
  /** The first few disagreements, readable. */
  readonly examples: readonly string[];
}

const maxExamples = 10;

export function checkConvergence(
  cluster: GossipCluster,
  running: readonly number[],
  gone: readonly number[],
): ConvergenceReport {
  const examples: string[] = [];
  let wrong = 0;
  const note = (text: string): void => {
    wrong++;
    if (examples.length < maxExamples) examples.push(text);
  };
  for (const i of running) {
    const core = cluster.core(i);
    if (core === undefined) continue;
    for (const j of running) {
      const s = core.stateOf(nodeName(j));
      if (s !== 'alive') note(`${nodeName(i)} sees running ${nodeName(j)} as ${s ?? 'unknown'}`);
    }
    for (const k of gone) {
      const s = core.stateOf(nodeName(k));
      if (s === 'alive' || s === 'suspect') note(`${nodeName(i)} sees gone ${nodeName(k)} as ${s}`);
    }
  }
  return { ok: wrong === 0, wrong, examples };
}

/** Whether checkConvergence would pass, stopping at the first disagreement. */
export function hasConverged(
  cluster: GossipCluster,
  running: readonly number[],
  gone: readonly number[],
): boolean {
  for (const i of running) {
    const core = cluster.core(i);
    if (core === undefined) continue;
    for (const j of running) if (core.stateOf(nodeName(j)) !== 'alive') return false;
    for (const k of gone) {
      const s = core.stateOf(nodeName(k));
      if (s === 'alive' || s === 'suspect') return false;
    }
  }
  return true;
}
