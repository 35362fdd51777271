/**
 * `crosstalk bench` (and `npm run bench`): the same workloads on every engine, one after the
 * other in this process, with tinybench; writes reports/out/bench.json and prints the table.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import { InvalidArgumentError, Option } from "commander";
import { REFERENCE_ENGINE } from "../../../engines/index.ts";
import { renderBenchConsole } from "../../../reports/bench-console.ts";
import { type BenchDocument, benchSchema } from "../../../reports/bench-schema.ts";
import { bundledEngineNames } from "../../adapters/load.ts";
import { wsUrlProblem } from "../../adapters/remote/hello.ts";
import { isUrlSpec, resolveEngines } from "../../bench/compare/engines.ts";
import { launchForBench } from "../../bench/compare/launched.ts";
import { runBench } from "../../bench/compare/run.ts";
import { CliError, EXIT } from "../exit-codes.ts";

export const DEFAULT_USERS = [1, 10, 100, 1000];

export interface BenchCommandOptions {
  engines: string[];
  timeMs: number;
  iterations: number;
  users: number[];
  ws: boolean;
  warmup: boolean;
  out: string;
  /** The command line, recorded in the document so it can be reproduced. */
  command: string;
  /** The secret engines given by URL verify tokens with. */
  secret?: string;
  /** Shell commands that start engines to measure at their URL, stopped afterwards. */
  commands?: string[];
}

export async function benchCommand(
  options: BenchCommandOptions,
  write: (text: string) => void = (text) => process.stdout.write(text),
  progress: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<{ exitCode: number; document: BenchDocument; file: string }> {
  const launched = await launchForBench(options.commands ?? []);
  let document: BenchDocument | undefined;
  try {
    const entries = [
      ...(await resolveEngines(options.engines, options.secret)),
      ...launched.entries,
    ];
    document = await runBench(entries, {
      budget: { timeMs: options.timeMs, iterations: options.iterations, warmup: options.warmup },
      users: options.users,
      ws: options.ws,
      command: options.command,
      progress,
    });
  } finally {
    await launched.stopAll(document?.engines ?? []);
  }
  // What is written must be what the charts can read.
  benchSchema.parse(document);
  await mkdir(options.out, { recursive: true });
  const file = path.join(options.out, "bench.json");
  await writeFile(file, `${JSON.stringify(document, null, 2)}\n`);
  write(`${renderBenchConsole(document)}\nresults: ${file}\n`);
  const reference = document.engines.find((engine) => engine.reference);
  const referenceBroke =
    !reference ||
    reference.failure !== undefined ||
    reference.workloads.some((w) => w.brokenClauses.length > 0 || w.failure !== undefined);
  const exitCode = document.engines.some((engine) => engine.failure !== undefined)
    ? EXIT.engine
    : referenceBroke
      ? EXIT.unexpected
      : EXIT.ok;
  return { exitCode, document, file };
}

function positiveInteger(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0)
      throw new InvalidArgumentError(`${name} must be a positive integer`);
    return n;
  };
}

function userCounts(value: string): number[] {
  const counts = value.split(",").map((part) => Number(part.trim()));
  if (counts.length === 0 || counts.some((n) => !Number.isInteger(n) || n <= 0 || n > 5000)) {
    throw new InvalidArgumentError(
      "--users must be a comma-separated list of user counts from 1 to 5000",
    );
  }
  return [...new Set(counts)].sort((a, b) => a - b);
}

export function registerBench(program: Command): void {
  program
    .command("bench")
    .description("benchmark engines side by side on the same workloads (tinybench)")
    .option(
      "-e, --engine <name|path...>",
      `engines to measure besides the reference ${REFERENCE_ENGINE} (default: every bundled engine: ${bundledEngineNames().join(", ")})`,
    )
    .option(
      "--time <ms>",
      "tinybench time budget per figure, in ms",
      positiveInteger("--time"),
      1000,
    )
    .option(
      "--iterations <n>",
      "tinybench minimum samples per figure",
      positiveInteger("--iterations"),
      6,
    )
    .addOption(
      new Option("--users <list>", "concurrent-user counts, comma-separated")
        .argParser(userCounts)
        .default(DEFAULT_USERS, DEFAULT_USERS.join(",")),
    )
    .option("--no-ws", "measure in process only, not over WebSockets")
    .option(
      "--command <cmd>",
      "start an engine with this shell command (CROSSTALK_PORT, CROSSTALK_SECRET in its environment), measure it at its URL, stop it; repeatable",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .addOption(
      new Option(
        "--secret <secret>",
        "for engines given by URL: the secret they verify tokens with",
      ).env("CROSSTALK_SECRET"),
    )
    .option("--no-warmup", "skip tinybench's warm-up iterations")
    .option("--out <dir>", "where bench.json is written", "reports/out")
    .addHelpText(
      "after",
      `
Every engine gets the same workloads, one engine after the other, in this process: N users with
one tab each sending 2 runs each (11 events a run) at once, for each N of --users, in process
and over WebSockets (a gateway on 127.0.0.1, each tab a real socket). Figures: runs/s; emit-to-
receive latency p50/p99 over WebSockets; heap bytes per active user and per completed run after
forced GC; a session's open + close cost; the checking overhead (the same workload with checking
off and on). Each figure has tinybench's relative margin of error (rme) and sample count, and
its ratio to the reference ${REFERENCE_ENGINE}, which is always measured in the same run. Before
an engine is timed on a workload, one run of it is checked against every clause; figures from a
workload it breaks are marked ✗ (a fast engine that leaks answers is not fast).

An engine by URL (ws://host:port, with --secret) runs in its own process on its own real clock:
it is measured over the wire protocol only (runs/s, latency p50/p99, session cost at the URL),
each workload checked first with the remote checker, and the reference is then also served at a
URL on a real clock in this process, so the ratios compare like with like. --command starts an
engine the same way \`crosstalk run --command\` does, measures it at its URL, and stops it.

Run with node --expose-gc (npm run bench does) for exact heap figures; without it crosstalk
turns forced GC on itself.

Examples:
  $ npm run bench                                           # the full run (tens of minutes)
  $ crosstalk bench --engine legacy-global --users 10,100
  $ crosstalk bench --time 20 --iterations 2 --users 1,10   # a smoke run: seconds
  $ crosstalk bench --engine ./my-engine.ts --no-ws
  $ crosstalk bench --engine ws://127.0.0.1:8765 --secret s3cret --users 1,10,100
  $ crosstalk bench --command "python3 engines/python-ssot/server.py" --users 1,10,100 --no-ws

Exit codes: 0 measured, 1 the reference broke a clause on a workload, 2 bad usage,
3 an engine could not be loaded or started.`,
    )
    .action(async (options: Record<string, unknown>) => {
      const commands = options.command as string[];
      // With --command alone, the reference and the launched engines; else every bundled one.
      const engines =
        (options.engine as string[] | undefined) ??
        (commands.length > 0 ? [] : bundledEngineNames());
      const secret = options.secret as string | undefined;
      for (const spec of engines.filter(isUrlSpec)) {
        const problem = wsUrlProblem(spec);
        if (problem) throw new CliError(`--engine: ${problem}`, EXIT.usage);
        if (!secret) {
          throw new CliError(
            `--engine ${spec} needs --secret (or CROSSTALK_SECRET): the secret the engine verifies tokens with`,
            EXIT.usage,
          );
        }
      }
      const argv = process.argv.slice(3).join(" ");
      const outcome = await benchCommand({
        engines,
        timeMs: options.time as number,
        iterations: options.iterations as number,
        users: options.users as number[],
        ws: options.ws as boolean,
        warmup: options.warmup as boolean,
        out: options.out as string,
        // The secret is not written to bench.json.
        command:
          `npx crosstalk bench ${secret ? argv.replaceAll(secret, "<secret>") : argv}`.trim(),
        ...(secret ? { secret } : {}),
        commands,
      });
      process.exitCode = outcome.exitCode;
    });
}
