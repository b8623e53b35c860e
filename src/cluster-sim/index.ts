// Public surface of the cluster simulator: gossip, Raft, bootstrap and autopilot together.
export { runScenario } from './run.ts';
export type { RunOptions, RunOutcome, RunResult } from './run.ts';
export {
  bootstrapModes,
  bugNames,
  describeScenario,
  isBugName,
  makeScenario,
  safeBootstrapModes,
} from './scenario.ts';
export type { AgentSpec, BootstrapMode, BugName, Scenario, ScenarioOverrides } from './scenario.ts';
export { ClusterChecks, formatChange, quorumOf } from './checks.ts';
export type { BootstrapRecord, ChangeRecord, WorldView } from './checks.ts';
export { parseArgs, replayCommand, UsageError } from './cli-args.ts';
export type { CliOptions } from './cli-args.ts';
