/**
 * `crosstalk report --merge <results.json…>`: merges the results of a run's shards (or of runs
 * on different engines) into one matrix, compares it with the baseline as the unsharded run
 * would, and writes the same reports `crosstalk run` writes.
 */
import type { Command } from "commander";
import { resultsDocument } from "../../../reports/results.ts";
import { type ReporterName, writeReports } from "../../../reports/write.ts";
import { readBaseline } from "../../conformance/baseline.ts";
import { CliError, EXIT } from "../exit-codes.ts";
import { judge } from "../judge.ts";
import {
  benchOption,
  consoleColors,
  listReportFiles,
  outOption,
  type ReportOutputOptions,
  readBench,
  reporterOption,
} from "../reporters.ts";
import { MergeError, mergeShards, type ShardDocument } from "../shard/merge.ts";
import { ResultsFileError, readResultsFile } from "../shard/read.ts";

export interface ReportCommandOptions extends ReportOutputOptions {
  merge: string[];
}

export async function reportCommand(
  options: ReportCommandOptions,
  write: (text: string) => void = (text) => process.stdout.write(text),
): Promise<number> {
  const documents: ShardDocument[] = [];
  for (const file of options.merge) {
    try {
      documents.push(await readResultsFile(file));
    } catch (error) {
      if (error instanceof ResultsFileError) throw new CliError(error.message, EXIT.usage);
      throw error;
    }
  }
  let engines: ReturnType<typeof mergeShards>;
  try {
    engines = mergeShards(documents);
  } catch (error) {
    if (error instanceof MergeError) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
  const baseline = await readBaseline(options.baseline).catch((error: Error) => {
    throw new CliError(error.message, EXIT.usage);
  });
  const { exitCode } = judge(engines, baseline);
  const files = await writeReports(resultsDocument(engines), {
    reporters: options.reporters,
    out: options.out,
    colors: consoleColors(),
    write,
    ...(options.reporters.includes("html")
      ? { bench: await readBench(options.bench, options.out) }
      : {}),
  });
  listReportFiles(files, write);
  return exitCode;
}

export function registerReport(program: Command): void {
  program
    .command("report")
    .description("merge results.json files (the shards of a run) into one matrix and its reports")
    .requiredOption(
      "-m, --merge <results.json...>",
      "results files to merge: every shard of one run",
    )
    .addOption(reporterOption())
    .addOption(outOption())
    .addOption(benchOption())
    .option("--baseline <file>", "expected-verdict baseline", "engines/baseline.json")
    .addHelpText(
      "after",
      `
The shards must come from one command line that differs only in --shard i/n; every shard must
be there. The merge equals the unsharded run: a clause is broken if any shard broke it (with the
witness the unsharded run would keep), held if a shard exercised it and none broke it. Staleness
of the baseline is judged here, on the whole run, not in the shards.

Examples:
  $ crosstalk run --all --shard 1/3 --out shard-1      # on three machines, i = 1, 2, 3
  $ crosstalk report --merge shard-*/results.json --reporter console,junit,html
  $ crosstalk report --merge reports/out/results.json --reporter html   # re-render one run

Exit codes: 0 as expected, 1 unexpected break or stale baseline, 2 bad usage (a missing,
unreadable or mismatched results file, a missing shard), 3 an engine failed to load or start.`,
    )
    .action(async (options: Record<string, unknown>) => {
      process.exitCode = await reportCommand({
        merge: options.merge as string[],
        reporters: options.reporter as ReporterName[],
        out: options.out as string,
        ...(options.bench ? { bench: options.bench as string } : {}),
        baseline: options.baseline as string,
      });
    });
}
