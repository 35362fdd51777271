/**
 * `crosstalk explore`: property-based exploration of one engine by many concurrent users, for a
 * time or a number of scenarios, under a scheduling strategy, in process or over real
 * WebSockets. Replays the engine's regression corpus first, shows its progress, and ends with
 * every witness found and its replay line.
 */
import type { Command } from "commander";
import { InvalidArgumentError, Option } from "commander";
import { renderExploreReport } from "../../../reports/explore.ts";
import { EngineLoadError } from "../../adapters/load.ts";
import { readBaseline } from "../../conformance/baseline.ts";
import { TRANSPORTS, type Transport } from "../../conformance/catalogue.ts";
import { DEFAULT_CORPUS } from "../../explore/corpus.ts";
import { type ExploreReport, explore } from "../../explore/explorer.ts";
import { DEFAULT_BASELINE, makeTarget } from "../../explore/target.ts";
import { EngineStartError } from "../../explore/trial.ts";
import {
  DEFAULT_STRATEGY,
  isStrategyName,
  STRATEGY_NAMES,
  type StrategyName,
} from "../../schedule/strategies.ts";
import { CliError, EXIT } from "../exit-codes.ts";
import { exploreProgress } from "../progress.ts";
import { parseShard, type Shard } from "../shard/plan.ts";

export interface ExploreCommandOptions {
  engine: string;
  strategy: StrategyName;
  seed: number;
  timeSeconds?: number;
  runs?: number;
  corpus: string | false;
  baseline: string;
  shrink: boolean;
  differential: boolean;
  /** In process (default) or over real WebSockets. */
  transport?: Transport;
  /** `--shard i/n`: this machine's part of the exploration. */
  shard?: Shard;
}

export async function exploreCommand(
  options: ExploreCommandOptions,
  write: (text: string) => void = (text) => process.stdout.write(text),
): Promise<{ exitCode: number; report: ExploreReport }> {
  const baseline = await readBaseline(options.baseline).catch((error: Error) => {
    throw new CliError(error.message, EXIT.usage);
  });
  let target: Awaited<ReturnType<typeof makeTarget>>;
  try {
    target = await makeTarget(options.engine, {
      baseline,
      differential: options.differential,
      ...(options.transport ? { transport: options.transport } : {}),
    });
  } catch (error) {
    if (error instanceof EngineLoadError) throw new CliError(error.message, EXIT.engine);
    throw error;
  }
  const timeMs =
    options.timeSeconds === undefined && options.runs === undefined
      ? 60_000
      : options.timeSeconds === undefined
        ? undefined
        : options.timeSeconds * 1000;
  const progress = exploreProgress(target.module.name, {
    ...(options.runs !== undefined ? { runs: shardRuns(options.runs, options.shard) } : {}),
    ...(timeMs !== undefined ? { seconds: timeMs / 1000 } : {}),
  });
  let report: ExploreReport;
  try {
    report = await explore(target, {
      strategy: options.strategy,
      seed: options.seed,
      ...(options.runs !== undefined ? { runs: options.runs } : {}),
      ...(timeMs !== undefined ? { timeMs } : {}),
      corpus: options.corpus,
      ...(options.shrink ? {} : { shrink: false }),
      ...(options.shard ? { shard: options.shard } : {}),
      onProgress: (p) => progress.update(p),
    });
  } catch (error) {
    if (error instanceof EngineStartError) throw new CliError(error.message, EXIT.engine);
    throw error;
  } finally {
    progress.stop();
  }
  write(renderExploreReport(report));
  const unexpected =
    report.findings.some((f) => !f.expected) ||
    report.regressions.some((r) => r.outcome === "still-broken" && !r.expected);
  return { exitCode: unexpected ? EXIT.unexpected : EXIT.ok, report };
}

/** How many of the first `runs` scenarios are this shard's. */
function shardRuns(runs: number, shard: Shard | undefined): number {
  if (!shard) return runs;
  return runs < shard.index ? 0 : Math.floor((runs - shard.index) / shard.count) + 1;
}

function positiveInteger(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0)
      throw new InvalidArgumentError(`${name} must be a positive integer`);
    return n;
  };
}

export function registerExplore(program: Command): void {
  program
    .command("explore")
    .description("explore an engine with generated multi-user scenarios and schedules")
    .requiredOption("-e, --engine <name|path>", "bundled engine name or path to an engine module")
    .option(
      "-t, --time <seconds>",
      "explore for this long (default 60 unless --runs is given)",
      positiveInteger("--time"),
    )
    .option("-n, --runs <count>", "explore this many scenarios", positiveInteger("--runs"))
    .addOption(
      new Option("-s, --strategy <name>", "how timers due together are ordered")
        .choices(STRATEGY_NAMES)
        .default(DEFAULT_STRATEGY),
    )
    .option(
      "--seed <n>",
      "fast-check seed (same seed, same scenarios)",
      (v) => {
        const n = Number(v);
        if (!Number.isSafeInteger(n)) throw new InvalidArgumentError("--seed must be an integer");
        return n;
      },
      1,
    )
    .option(
      "--corpus <dir>",
      "regression corpus: replayed first, witnesses saved to it",
      DEFAULT_CORPUS,
    )
    .option("--no-corpus", "neither replay nor save witnesses")
    .addOption(
      new Option(
        "--shard <i/n>",
        "explore only part i of n: scenarios i, i+n, i+2n… of the same --seed and --runs (the rest on other machines)",
      ).argParser((value: string) => {
        try {
          return parseShard(value);
        } catch (error) {
          throw new InvalidArgumentError((error as Error).message);
        }
      }),
    )
    .option("--baseline <file>", "expected-verdict baseline", DEFAULT_BASELINE)
    .option("--no-shrink", "report each first counterexample as found")
    .option("--no-differential", "do not compare with the reference engine")
    .addOption(
      new Option("--transport <transport>", "drive the engine in process or over real WebSockets")
        .choices(TRANSPORTS)
        .default("memory"),
    )
    .addHelpText(
      "after",
      `
Strategies: fifo (no exploration of orderings), random (fast-check's scheduler), pct (PCT).

--transport ws drives the engine through a gateway on 127.0.0.1, every tab a real socket. The
strategy still orders the virtual timers due together, but frames cross sockets that no
scheduler controls: the runner waits for a quiet wire at every step, so a replay repeats the
run from its seed and recorded picks, yet it cannot choose how frames interleave on the wire.
The token records the transport, and \`crosstalk repro\` replays over the same one.

Examples:
  $ crosstalk explore --engine legacy-global --time 60
  $ crosstalk explore --engine ./my-engine.ts --runs 500 --strategy random --seed 7
  $ crosstalk explore --engine request-scoped --runs 50 --transport ws
  $ crosstalk explore --engine ssot --runs 10000 --seed 1 --shard 2/4      # on the 2nd of 4 machines

Exit codes: 0 nothing unexpected, 1 an unexpected break or difference, 2 bad usage,
3 engine failed to load or start.`,
    )
    .action(async (options: Record<string, unknown>) => {
      const strategy = String(options.strategy);
      if (!isStrategyName(strategy)) throw new CliError(`unknown strategy ${strategy}`, EXIT.usage);
      const outcome = await exploreCommand({
        engine: options.engine as string,
        strategy,
        seed: options.seed as number,
        ...(options.time !== undefined ? { timeSeconds: options.time as number } : {}),
        ...(options.runs !== undefined ? { runs: options.runs as number } : {}),
        corpus: options.corpus === false ? false : (options.corpus as string),
        baseline: options.baseline as string,
        shrink: options.shrink as boolean,
        differential: options.differential as boolean,
        transport: options.transport as Transport,
        ...(options.shard ? { shard: options.shard as Shard } : {}),
      });
      process.exitCode = outcome.exitCode;
    });
}
