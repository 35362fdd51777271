// The summary line counts a failed hook as failure: vitest fails the run on it, and reports the
// tests the hook guarded as skipped. Runs vitest on the fixtures in fixtures/summary, which the
// main config does not pick up.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");

function vitestOn(config: string) {
  // The parent run's variables would tell the child it is a worker of this run.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("VITEST")),
  );
  const result = spawnSync(
    process.execPath,
    [path.join(root, "node_modules/vitest/vitest.mjs"), "run", "--config", config],
    { cwd: root, encoding: "utf8", env: { ...env, CI: "true", NO_COLOR: "1" } },
  );
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("summary reporter", () => {
  it("counts tests a failed beforeAll stopped, and an afterAll that threw, as failed", () => {
    const { code, stdout, stderr } = vitestOn("suites/support/fixtures/summary/vitest.config.ts");
    expect(code, stderr).toBe(1);
    const lines = stdout.match(/^tests: .*$/gm);
    expect(lines, stdout).toHaveLength(1);
    // Failed: the 2 tests under the module's beforeAll, the 2 under the suite's beforeAll, and
    // the suite whose afterAll threw. Passed: 2. Skipped: the it.skip and the it.todo.
    expect(lines?.[0]).toBe("tests: 2 passed, 5 failed, 2 skipped");
  });
});
