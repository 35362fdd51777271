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
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
