/** The `crosstalk` command line. */
import { Command, CommanderError } from "commander";
import { registerBench } from "./commands/bench.ts";
import { registerExplore } from "./commands/explore.ts";
import { registerReport } from "./commands/report.ts";
import { registerRepro } from "./commands/repro.ts";
import { registerRun } from "./commands/run.ts";
import { registerServe } from "./commands/serve.ts";
import { useConfigFile } from "./config/hook.ts";
import { CliError, EXIT } from "./exit-codes.ts";

/** Each command registers itself from its own module. */
const COMMANDS: ((program: Command) => void)[] = [
  registerRun,
  registerExplore,
  registerRepro,
  registerReport,
  registerBench,
  registerServe,
];

export function buildProgram(): Command {
  const program = new Command("crosstalk")
    .description("Conformance and concurrency checks for multi-user AI-agent execution engines")
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)");

  useConfigFile(program);
  for (const register of COMMANDS) register(program);
  return program;
}

/**
 * A reader that stops early (`crosstalk --help | head -1`) closes the pipe, and the next write
 * fails with EPIPE, which Node raises as an unhandled 'error' event: a stack trace and exit 1.
 * What is left to write is then nobody's: each later write fails the same way and is dropped,
 * and the command ends as it would have, help with 0, a run with its verdict (a pipeline under
 * `set -o pipefail` still sees a failed run). Any other error of the stream is thrown as before.
 */
export function dropOutputOnClosedPipe(stream: NodeJS.WritableStream): void {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
  });
}

let pipesGuarded = false;

export async function main(argv: string[]): Promise<number> {
  if (!pipesGuarded) {
    pipesGuarded = true;
    dropOutputOnClosedPipe(process.stdout);
    dropOutputOnClosedPipe(process.stderr);
  }
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
