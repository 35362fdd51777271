/**
 * What `crosstalk.config.ts` may say, as a typed interface (what `defineConfig` checks in the
 * editor) and a zod schema (what the command line checks when it loads the file). Objects are
 * strict: a misspelt field is an error naming it, not a setting silently ignored.
 */
import { z } from "zod";
import { REPORTERS, type ReporterName } from "../../../reports/write.ts";
import { TRANSPORTS, type Transport } from "../../conformance/catalogue.ts";
import { STRATEGY_NAMES, type StrategyName } from "../../schedule/strategies.ts";

export interface CrosstalkConfig {
  /** Engines to check: bundled names, or module paths relative to the config file. */
  engines?: string[];
  /** In process (default), or over real WebSockets (adds the security clauses). */
  transport?: Transport;
  /** The expected-verdict baseline, relative to the config file. */
  baseline?: string;
  /** Seed for the canaries `crosstalk run` plants. */
  seed?: string | number;
  /** Real-time limits the harness holds each scenario to. */
  limits?: {
    /** Real milliseconds one contract scenario may take before the engine is declared stuck. */
    scenarioTimeoutMs?: number;
    /** History entries one scenario may record before the engine is declared to flood. */
    maxHistoryEntries?: number;
  };
  /** How much work each command does. */
  budgets?: {
    /** `crosstalk run`: only these contract scenarios (all when absent). */
    scenarios?: string[];
    /** `crosstalk explore`: how many generated scenarios, or for how long, and how. */
    explore?: {
      runs?: number;
      /** Seconds. */
      time?: number;
      strategy?: StrategyName;
      seed?: number;
    };
  };
  /** Reports to write (console, json, junit, html). */
  reporters?: ReporterName[];
  /** Directory the reports are written to, relative to the config file. */
  out?: string;
}

const positiveInteger = z.number().int("expected an integer").positive("expected a number above 0");
const nonEmpty = z.string().min(1);

export const configSchema = z.strictObject({
  engines: z.array(nonEmpty).min(1).optional(),
  transport: z.enum(TRANSPORTS as [Transport, ...Transport[]]).optional(),
  baseline: nonEmpty.optional(),
  seed: z.union([nonEmpty, z.number().int()]).optional(),
  limits: z
    .strictObject({
      scenarioTimeoutMs: positiveInteger.optional(),
      maxHistoryEntries: positiveInteger.optional(),
    })
    .optional(),
  budgets: z
    .strictObject({
      scenarios: z.array(nonEmpty).min(1).optional(),
      explore: z
        .strictObject({
          runs: positiveInteger.optional(),
          time: positiveInteger.optional(),
          strategy: z.enum(STRATEGY_NAMES as [StrategyName, ...StrategyName[]]).optional(),
          seed: z.number().int().optional(),
        })
        .optional(),
    })
    .optional(),
  reporters: z
    .array(z.enum(REPORTERS as [ReporterName, ...ReporterName[]]))
    .min(1)
    .optional(),
  out: nonEmpty.optional(),
}) satisfies z.ZodType<CrosstalkConfig>;
