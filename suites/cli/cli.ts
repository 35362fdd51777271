// Two ways to run the crosstalk command in a test: as a process (its real exit status and
// streams), or in this process through main() (the same code, without a second ~1 s start-up).
import { spawnSync } from "node:child_process";
import path from "node:path";
import { main } from "../../harness/cli/main.ts";

export const root = path.resolve(import.meta.dirname, "../..");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `crosstalk …` as a child process, in CI mode without colours (as CI runs it). */
export function crosstalk(...args: string[]): CliResult {
  return crosstalkAt(root, ...args);
}

/** The same, started in another directory. */
export function crosstalkAt(cwd: string, ...args: string[]): CliResult {
  const main = path.join(root, "harness/cli/main.ts");
  const result = spawnSync(process.execPath, ["--import", "tsx", main, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, CI: "true", NO_COLOR: "1" },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * `crosstalk …` through main(), capturing what it writes to stdout and stderr; from the
 * repository unless `cwd` says otherwise (paths on the command line are relative to it).
 */
export async function crosstalkInProcess(
  ...args: [{ cwd: string }, ...string[]] | string[]
): Promise<CliResult> {
  const [first, ...rest] = args;
  const cwd = typeof first === "object" ? first.cwd : root;
  const argv = typeof first === "object" ? (rest as string[]) : (args as string[]);
  let stdout = "";
  let stderr = "";
  const out = process.stdout.write;
  const err = process.stderr.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  process.exitCode = undefined;
  const before = process.cwd();
  process.chdir(cwd);
  try {
    const code = await main(argv);
    return { code, stdout, stderr };
  } finally {
    process.chdir(before);
    process.stdout.write = out;
    process.stderr.write = err;
    // The commands set process.exitCode; it must not become the test worker's.
    process.exitCode = undefined;
  }
}
