/**
 * Hands a config's settings to a command as its options' values before the command line is
 * parsed, so a flag given on the command line replaces them (flags override the config) and a
 * required option the config supplies is no longer missing. Each command lists which of its
 * options a config field feeds; a command without such an option ignores that field.
 */
import type { Command } from "commander";
import type { CrosstalkConfig } from "./schema.ts";

type Pick = (config: CrosstalkConfig) => unknown;

const engines: Pick = (c) => c.engines;
const transport: Pick = (c) => c.transport;
const baseline: Pick = (c) => c.baseline;
const reporter: Pick = (c) => c.reporters;
const out: Pick = (c) => c.out;

/** For each command, option attribute name → the config value it takes. */
const OPTIONS_FROM_CONFIG: Record<string, Record<string, Pick>> = {
  run: {
    engine: engines,
    transport,
    baseline,
    reporter,
    out,
    seed: (c) => (c.seed === undefined ? undefined : String(c.seed)),
    scenario: (c) => c.budgets?.scenarios,
    scenarioTimeout: (c) => c.limits?.scenarioTimeoutMs,
    maxHistoryEntries: (c) => c.limits?.maxHistoryEntries,
  },
  explore: {
    engine: engines,
    transport,
    baseline,
    runs: (c) => c.budgets?.explore?.runs,
    time: (c) => c.budgets?.explore?.time,
    strategy: (c) => c.budgets?.explore?.strategy,
    seed: (c) => c.budgets?.explore?.seed,
  },
  report: { reporter, out, baseline },
  bench: { engine: engines, out },
  serve: { engine: engines },
};

/** Which commands read the config (the others never load it). */
export function readsConfig(command: string): boolean {
  return command in OPTIONS_FROM_CONFIG;
}

export function applyConfig(command: Command, config: CrosstalkConfig): void {
  const picks = OPTIONS_FROM_CONFIG[command.name()];
  if (!picks) return;
  for (const option of command.options) {
    const key = option.attributeName();
    const pick = picks[key];
    let value = pick?.(config);
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      // An option taking one value (explore's --engine) is fed only by a list of one.
      if (!option.variadic && !option.parseArg) {
        if (value.length !== 1) continue;
        value = value[0];
      } else {
        value = [...value];
      }
    }
    // As the option's default, the value is replaced by the command line's rather than added
    // to (commander appends a variadic option's values to anything but its default).
    option.default(value);
    command.setOptionValueWithSource(key, value, "config");
  }
}
