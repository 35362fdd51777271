/** The `crosstalk` command line. */
import { Command, CommanderError, Option } from "commander";
import { bundledEngineNames } from "../adapters/load.ts";
import { CliError, EXIT } from "./exit-codes.ts";
import { runCommand } from "./run-command.ts";

export function buildProgram(): Command {
  const program = new Command("crosstalk")
    .description("Conformance and concurrency checks for multi-user AI-agent execution engines")
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)");

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
    .option("--no-json", "do not write results.json")
    .addHelpText(
      "after",
      `
Examples:
  $ crosstalk run --all
  $ crosstalk run --engine ./my-engine.ts
  $ crosstalk run --engine ssot --scenario events-tool-calls

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
        json: options.json as boolean,
      });
      process.exitCode = outcome.exitCode;
    });
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof CliError) {
      process.stderr.write(`crosstalk: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(
        `crosstalk: internal error: ${error instanceof Error ? error.stack : String(error)}\n`,
      );
      process.exitCode = 70;
    },
  );
}
