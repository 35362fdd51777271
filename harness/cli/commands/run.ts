/** `crosstalk run`: check engines against the contract and print the conformance matrix. */
import path from "node:path";
import type { Command } from "commander";
import { Option } from "commander";
import { renderConsole } from "../../../reports/console.ts";
import { resultsDocument, writeResults } from "../../../reports/results.ts";
import { bundledEngineNames, EngineLoadError, loadEngine } from "../../adapters/load.ts";
import {
  type Baseline,
  type BaselineComparison,
  compareWithBaseline,
  isAsExpected,
  readBaseline,
} from "../../conformance/baseline.ts";
import { scenariosFor, TRANSPORTS, type Transport } from "../../conformance/catalogue.ts";
import { checkEngine, type EngineReport } from "../../conformance/check-engine.ts";
import type { EngineModule } from "../../contract/index.ts";
import { CliError, EXIT } from "../exit-codes.ts";

export interface RunCommandOptions {
  engine: string[];
  scenario?: string[];
  baseline: string;
  out: string;
  seed: string;
  /** In process (default) or over real WebSockets. */
  transport?: Transport;
  json: boolean;
}

export interface RunOutcome {
  exitCode: number;
  reports: EngineReport[];
}

export async function runCommand(
  options: RunCommandOptions,
  write = stdoutWrite,
): Promise<RunOutcome> {
  for (const name of options.scenario ?? []) {
    if (!scenariosFor(options.transport ?? "memory").some((s) => s.scenario.name === name)) {
      const wireOnly = scenariosFor("ws").some((s) => s.scenario.name === name);
      const hint = wireOnly ? " (it runs over the wire only: add --transport ws)" : "";
      throw new CliError(`unknown scenario "${name}"${hint}`, EXIT.usage);
    }
  }
  const baseline: Baseline = await readBaseline(options.baseline).catch((error: Error) => {
    throw new CliError(error.message, EXIT.usage);
  });
  const progress = progressLine();
  const reports: EngineReport[] = [];
  const comparisons: BaselineComparison[] = [];
  let engineFailed = false;
  for (const spec of options.engine) {
    let module: EngineModule;
    try {
      module = await loadEngine(spec);
    } catch (error) {
      if (!(error instanceof EngineLoadError)) throw error;
      engineFailed = true;
      reports.push({ name: spec, failure: error.message, clauses: [], scenarios: [] });
      continue;
    }
    const report = await checkEngine(module, {
      engineSpec: spec,
      seed: options.seed,
      ...(options.transport ? { transport: options.transport } : {}),
      ...(options.scenario ? { scenarios: options.scenario } : {}),
      onScenario: (done, total, name) => progress(`${module.name}: ${done}/${total} ${name}`),
    });
    if (report.failure) engineFailed = true;
    reports.push(report);
    if (!report.failure) comparisons.push(compareWithBaseline(report, baseline));
  }
  progress("");
  write(
    renderConsole(reports, comparisons, {
      colors: process.stdout.isTTY === true && !process.env.NO_COLOR,
    }),
  );
  if (options.json) {
    const file = await writeResults(resultsDocument(reports), options.out);
    write(`results: ${path.relative(process.cwd(), file)}\n`);
  }
  const exitCode = engineFailed
    ? EXIT.engine
    : comparisons.every(isAsExpected)
      ? EXIT.ok
      : EXIT.unexpected;
  return { exitCode, reports };
}

function stdoutWrite(text: string): void {
  process.stdout.write(text);
}

/** A single self-erasing status line on a terminal; nothing in CI or when piped. */
function progressLine(): (text: string) => void {
  if (!process.stderr.isTTY || process.env.CI) return () => {};
  return (text) =>
    process.stderr.write(`\r\x1b[K${text.slice(0, (process.stderr.columns ?? 80) - 1)}`);
}

export function registerRun(program: Command): void {
  program
    .command("run")
    .description("check engines against the contract and print the conformance matrix")
    .option(
      "-e, --engine <name|path...>",
      `bundled engine name (${bundledEngineNames().join(", ")}) or path to a module exporting an engine factory`,
    )
    .option("--all", "check every bundled engine (the default when no --engine is given)")
    .option("-s, --scenario <name...>", "only these contract scenarios (to replay a witness)")
    .option("--baseline <file>", "expected-verdict baseline", "engines/baseline.json")
    .option("-o, --out <dir>", "where results.json is written", "reports/out")
    .addOption(new Option("--seed <seed>", "seed for canaries").default("1"))
    .addOption(
      new Option(
        "-t, --transport <transport>",
        "in process, or over real WebSockets (adds the security clauses)",
      )
        .choices(TRANSPORTS)
        .default("memory"),
    )
    .option("--no-json", "do not write results.json")
    .addHelpText(
      "after",
      `
Examples:
  $ crosstalk run --all
  $ crosstalk run --engine ./my-engine.ts
  $ crosstalk run --engine ssot --scenario events-tool-calls
  $ crosstalk run --all --transport ws

Exit codes: 0 as expected, 1 unexpected break or stale baseline, 2 bad usage, 3 engine failed to load or start.`,
    )
    .action(async (options: Record<string, unknown>) => {
      const engines = (options.engine as string[] | undefined) ?? [];
      const outcome = await runCommand({
        engine:
          options.all || engines.length === 0 ? [...bundledEngineNames(), ...engines] : engines,
        ...(options.scenario ? { scenario: options.scenario as string[] } : {}),
        baseline: options.baseline as string,
        out: options.out as string,
        seed: options.seed as string,
        transport: options.transport as Transport,
        json: options.json as boolean,
      });
      process.exitCode = outcome.exitCode;
    });
}
