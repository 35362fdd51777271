/**
 * `crosstalk run --command/--image`: the launch flags from the command line, through main():
 * a checked engine exits 0, one that cannot start exits 3 with its exit code and stderr tail,
 * and contradictory flags are bad usage (2). Sequential: main() captures the process's streams.
 */
import { describe, expect, it } from "vitest";
import { crosstalkInProcess } from "../cli/cli.ts";
import { PYTHON_ENGINE } from "./commands.ts";

describe("crosstalk run --command / --image", () => {
  it("checks an engine started with --command over the wire and exits 0", async () => {
    const result = await crosstalkInProcess(
      "run",
      "--command",
      PYTHON_ENGINE,
      "--scenario",
      "events-think-and-tools",
      "--reporter",
      "console",
    );
    expect(result.stdout).toContain(PYTHON_ENGINE);
    expect(result.stdout).toMatch(/events\.seq\s+✓/);
    expect(result.code).toBe(0);
  });

  it("exits 3 when the engine cannot start, with its exit code and stderr tail", async () => {
    const result = await crosstalkInProcess(
      "run",
      "--command",
      "echo 'no model configured' >&2; exit 4",
      "--reporter",
      "console",
    );
    expect(result.code).toBe(3);
    expect(result.stdout).toContain("the engine exited before accepting connections: exit code 4");
    expect(result.stdout).toContain("| no model configured");
  });

  it("refuses --command with --engine, and --mount without --image (exit 2)", async () => {
    const both = await crosstalkInProcess("run", "--command", "true", "--engine", "ssot");
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("cannot be used with option '-e, --engine");
    const mount = await crosstalkInProcess("run", "--mount", "/tmp:/x");
    expect(mount.code).toBe(2);
    expect(mount.stderr).toContain("--mount needs --image");
    const bad = await crosstalkInProcess("run", "--image", "x", "--mount", "relative");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      'a mount is host-path:/container/path (read-only), got "relative"',
    );
  });
});
