// Command line: `lincheck FILE [--max-states N]`. Exit codes are part of the contract:
// 0 linearizable, 1 not linearizable, 2 bad usage or input, 3 unknown (search budget exceeded).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checkHistory, DEFAULT_MAX_STATES } from './check.ts';
import { formatResult } from './format.ts';
import { HistoryError, parseHistory, type HistoryEvent } from './history.ts';

const USAGE = `usage: lincheck FILE [--max-states N]   (JSONL history; default N = ${DEFAULT_MAX_STATES})`;

const EXIT = { linearizable: 0, violation: 1, badInput: 2, unknown: 3 } as const;

class UsageError extends Error {}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function readArguments(argv: readonly string[]): { file: string; maxStates: number } {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { 'max-states': { type: 'string' } },
    });
  } catch (err) {
    throw new UsageError(message(err));
  }
  const [file, ...extra] = parsed.positionals;
  if (file === undefined) throw new UsageError('missing FILE argument');
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
  const raw = parsed.values['max-states'] ?? String(DEFAULT_MAX_STATES);
  if (!/^[1-9][0-9]*$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new UsageError(`--max-states must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return { file, maxStates: Number(raw) };
}

function readHistory(file: string): HistoryEvent[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${message(err)}`);
  }
  try {
    return parseHistory(text);
  } catch (err) {
    if (err instanceof HistoryError)
      throw new UsageError(`malformed history ${file}: ${err.message}`);
    throw err;
  }
}

function main(argv: readonly string[]): number {
  let args;
  let events;
  try {
    args = readArguments(argv);
    events = readHistory(args.file);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`lincheck: ${err.message}\n${USAGE}`);
    return EXIT.badInput;
  }
  const result = checkHistory(events, { maxStates: args.maxStates });
  console.log(formatResult(result));
  if (result.ok === true) return EXIT.linearizable;
  return result.ok === false ? EXIT.violation : EXIT.unknown;
}

process.exitCode = main(process.argv.slice(2));
