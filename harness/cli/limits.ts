/**
 * `--scenario-timeout` and `--max-history-entries` (config: `limits`): the harness's own bounds
 * on each contract scenario, past which the engine is declared stuck or flooding. The defaults
 * suit the bundled engines; a slow engine, or one checked over a slow wire, may need more.
 */
import { InvalidArgumentError, Option } from "commander";

export interface ScenarioLimits {
  realDeadlineMs?: number;
  maxEntries?: number;
}

function positiveInteger(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n <= 0) {
      throw new InvalidArgumentError(`${flag} takes a positive whole number`);
    }
    return n;
  };
}

export function scenarioTimeoutOption(): Option {
  return new Option(
    "--scenario-timeout <ms>",
    "real milliseconds a scenario may take before the engine is declared stuck (default 10000, 20000 over ws)",
  ).argParser(positiveInteger("--scenario-timeout"));
}

export function maxHistoryEntriesOption(): Option {
  return new Option(
    "--max-history-entries <n>",
    "history entries a scenario may record before the engine is declared to flood (default 200000)",
  ).argParser(positiveInteger("--max-history-entries"));
}

/** The limits given, from the command's parsed options; none when neither was. */
export function limitsFrom(options: Record<string, unknown>): ScenarioLimits | undefined {
  const limits: ScenarioLimits = {};
  if (options.scenarioTimeout !== undefined)
    limits.realDeadlineMs = options.scenarioTimeout as number;
  if (options.maxHistoryEntries !== undefined)
    limits.maxEntries = options.maxHistoryEntries as number;
  return Object.keys(limits).length > 0 ? limits : undefined;
}
