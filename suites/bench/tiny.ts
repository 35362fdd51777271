/** `crosstalk bench` with the smallest budgets, into a fresh temporary folder: for the suites. */
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type BenchCommandOptions, benchCommand } from "../../harness/cli/commands/bench.ts";

export async function tinyBench(
  options: Partial<BenchCommandOptions> & Pick<BenchCommandOptions, "engines">,
  write: (text: string) => void = () => {},
): ReturnType<typeof benchCommand> {
  const out = await mkdtemp(path.join(os.tmpdir(), "crosstalk-bench-"));
  return benchCommand(
    {
      timeMs: 1,
      iterations: 1,
      users: [1],
      ws: false,
      warmup: false,
      out,
      command: "test",
      ...options,
    },
    write,
    () => {},
  );
}
