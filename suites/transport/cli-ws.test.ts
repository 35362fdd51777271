// `crosstalk run --transport ws` as a user meets it: the same command, over real sockets.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");

function crosstalk(...args: string[]) {
  const result = spawnSync(process.execPath, ["--import", "tsx", "harness/cli/main.ts", ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, CI: "true", NO_COLOR: "1" },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("crosstalk run --transport ws", () => {
  it("replays a wire scenario on the reference: the security clause held, exit 0", () => {
    const { code, stdout } = crosstalk(
      "run",
      "--engine",
      "ssot",
      "--transport",
      "ws",
      "--scenario",
      "security-impersonation",
      "--no-json",
    );
    expect(code, stdout).toBe(0);
    expect(stdout).toMatch(/security\.impersonation\s+✓/);
  });

  it("a wire scenario without --transport ws is bad usage, and says why: exit 2", () => {
    const { code, stderr } = crosstalk(
      "run",
      "--engine",
      "ssot",
      "--scenario",
      "security-impersonation",
    );
    expect(code).toBe(2);
    expect(stderr).toContain("add --transport ws");
  });

  it("an unknown transport is bad usage: exit 2", () => {
    const { code, stderr } = crosstalk("run", "--transport", "carrier-pigeon");
    expect(code).toBe(2);
    expect(stderr).toContain("carrier-pigeon");
  });
});
