// Command-line arguments of the gossip simulator (src/gossip/sim/cli.ts), parsed strictly: a
// bad flag is a UsageError, reported with exit status 2.
import { parseArgs } from 'node:util';
import {
  defaultLANConfig,
  defaultLocalConfig,
  defaultWANConfig,
  type GossipConfig,
} from '../core/config.ts';
import { defaultSimOptions, type GossipSimOptions } from './run.ts';

export class UsageError extends Error {}

export const usage = [
  'usage: npm run sim:gossip -- [--nodes N] [--seed S] [--loss P] [--config lan|local|wan]',
  '         [--fault-ms MS] [--kills K] [--pauses K] [--pause-ms MS] [--slows K] [--slow-ms MS]',
  '         [--join-spread-ms MS] [--steady-ms MS] [--max-phase-ms MS] [--json] [--force]',
].join('\n');

const configs: Readonly<Record<string, GossipConfig>> = {
  lan: defaultLANConfig,
  local: defaultLocalConfig,
  wan: defaultWANConfig,
};

const intFlags = {
  nodes: 'nodes',
  seed: 'seed',
  'fault-ms': 'faultMs',
  kills: 'kills',
  pauses: 'pauses',
  'pause-ms': 'pauseMs',
  slows: 'slows',
  'slow-ms': 'slowMs',
  'join-spread-ms': 'joinSpreadMs',
  'steady-ms': 'steadyMs',
  'max-phase-ms': 'maxPhaseMs',
} as const;

export interface CliOptions {
  readonly sim: GossipSimOptions;
  /** lan, local or wan. */
  readonly configName: string;
  readonly json: boolean;
  /** Run even when the memory estimate says the machine is too small. */
  readonly force: boolean;
}

function integer(flag: string, raw: string): number {
  if (!/^\d+$/.test(raw)) throw new UsageError(`--${flag}: expected an integer, got "${raw}"`);
  return Number(raw);
}

export function parseCli(argv: readonly string[]): CliOptions {
  const options = {
    loss: { type: 'string' },
    config: { type: 'string' },
    json: { type: 'boolean' },
    force: { type: 'boolean' },
    ...Object.fromEntries(Object.keys(intFlags).map((k) => [k, { type: 'string' }])),
  } as const;
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const sim: Record<string, unknown> = { ...defaultSimOptions };
  for (const [flag, key] of Object.entries(intFlags)) {
    const raw = values[flag];
    if (typeof raw === 'string') sim[key] = integer(flag, raw);
  }
  const loss = values['loss'];
  if (typeof loss === 'string') {
    const p = Number(loss);
    if (!(p >= 0 && p < 1))
      throw new UsageError(`--loss: expected a fraction in [0, 1), got "${loss}"`);
    sim['lossRate'] = p;
  }
  const config = values['config'] ?? 'lan';
  if (typeof config === 'string') {
    const c = configs[config];
    if (c === undefined)
      throw new UsageError(`--config: expected lan, local or wan, got "${config}"`);
    sim['config'] = c;
  }
  const o = sim as unknown as GossipSimOptions;
  if (o.nodes < 3) throw new UsageError('--nodes: at least 3');
  if (o.kills + o.pauses + o.slows > o.nodes - 2) {
    throw new UsageError('--kills + --pauses + --slows: must leave at least 2 healthy nodes');
  }
  return {
    sim: o,
    configName: String(config),
    json: values['json'] === true,
    force: values['force'] === true,
  };
}
