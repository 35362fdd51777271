import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: fileURLToPath(new URL("..", import.meta.url)),
    include: ["suites/**/*.test.ts"],
    // The summary reporter prints the last line: a plain "N passed, N failed" count for CI.
    reporters: ["default", "./suites/support/summary-reporter.ts"],
    // Forks, not threads: cleanup.* needs forced garbage collection, and threads refuse --expose-gc.
    pool: "forks",
    execArgv: ["--expose-gc"],
    // Retention is still found, but no heap snapshot is taken to name who holds it (about a
    // second each, dozens across the suites); the memory suites turn them on where they test them.
    env: { CROSSTALK_HEAP_SNAPSHOTS: "0" },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
