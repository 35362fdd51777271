// The crosstalk command as a user meets it: help, bad input, and exit codes that mean something.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
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

describe("crosstalk run", () => {
  it("prints help with examples and exits 0", () => {
    const { code, stdout } = crosstalk("run", "--help");
    expect(code).toBe(0);
    expect(stdout).toContain("--engine");
    expect(stdout).toContain("Examples:");
  });

  it("an unknown flag is bad usage: exit 2", () => {
    const { code, stderr } = crosstalk("run", "--no-such-flag");
    expect(code).toBe(2);
    expect(stderr).toContain("unknown option '--no-such-flag'");
  });

  it("an unknown command is bad usage: exit 2", () => {
    expect(crosstalk("frobnicate").code).toBe(2);
  });

  it("an unknown engine name: exit 3, naming the bundled engines", () => {
    const { code, stdout } = crosstalk("run", "--engine", "nope", "--no-json");
    expect(code).toBe(3);
    expect(stdout).toContain('unknown engine "nope"');
    expect(stdout).toContain("ssot");
  });

  it("a module path that does not exist: exit 3", () => {
    const { code, stdout } = crosstalk("run", "--engine", "./missing/engine.ts", "--no-json");
    expect(code).toBe(3);
    expect(stdout).toContain("engine module not found");
  });

  it("a module that exports no factory: exit 3, saying what it does export", () => {
    const { code, stdout } = crosstalk(
      "run",
      "--engine",
      "suites/fixtures/bad-engines/no-factory.ts",
      "--no-json",
    );
    expect(code).toBe(3);
    expect(stdout).toContain("exports no engine factory");
    expect(stdout).toContain("notAnEngine");
  });

  it("a factory that throws: exit 3 with its message", () => {
    const { code, stdout } = crosstalk(
      "run",
      "--engine",
      "suites/fixtures/bad-engines/factory-throws.ts",
      "--no-json",
    );
    expect(code).toBe(3);
    expect(stdout).toContain("database not configured");
  });

  it("an unreadable baseline is bad usage: exit 2", () => {
    const { code, stderr } = crosstalk(
      "run",
      "--engine",
      "ssot",
      "--baseline",
      "nope.json",
      "--no-json",
    );
    expect(code).toBe(2);
    expect(stderr).toContain("cannot read baseline nope.json");
  });

  it("a baseline naming an unknown clause is bad usage: exit 2", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "crosstalk-"));
    const file = path.join(dir, "baseline.json");
    writeFileSync(file, JSON.stringify({ engines: { ssot: { breaks: ["events.nonsense"] } } }));
    const { code, stderr } = crosstalk("run", "--engine", "ssot", "--baseline", file, "--no-json");
    expect(code).toBe(2);
    expect(stderr).toContain("unknown clause ids: events.nonsense");
  });

  it("an unknown scenario is bad usage: exit 2", () => {
    const { code, stderr } = crosstalk(
      "run",
      "--engine",
      "ssot",
      "--scenario",
      "nope",
      "--no-json",
    );
    expect(code).toBe(2);
    expect(stderr).toContain('unknown scenario "nope"');
  });

  it("the reference, as the baseline expects: exit 0 and results.json written", () => {
    const out = mkdtempSync(path.join(tmpdir(), "crosstalk-out-"));
    const { code, stdout } = crosstalk("run", "--engine", "ssot", "--out", out);
    expect(code).toBe(0);
    expect(stdout).toContain("1 engine(s) as expected");
    const results = JSON.parse(readFileSync(path.join(out, "results.json"), "utf8"));
    expect(results.engines[0].name).toBe("ssot");
    expect(results.engines[0].clauses).toHaveLength(38);
  });

  it("an engine by path with a break the baseline does not list: exit 1, witness and replay shown", () => {
    const { code, stdout } = crosstalk(
      "run",
      "--engine",
      "suites/fixtures/bad-engines/never-settles.ts",
      "--scenario",
      "events-think-and-tools",
      "--no-json",
    );
    expect(code).toBe(1);
    expect(stdout).toContain("never-settles: unexpected breaks:");
    expect(stdout).toContain("concurrency.no-deadlock");
    expect(stdout).toContain(
      "replay: npx crosstalk run --engine suites/fixtures/bad-engines/never-settles.ts --scenario events-think-and-tools",
    );
  });

  it("a baseline listing a break that now holds is stale: exit 1", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "crosstalk-"));
    const file = path.join(dir, "baseline.json");
    writeFileSync(file, JSON.stringify({ engines: { ssot: { breaks: ["events.grammar"] } } }));
    const { code, stdout } = crosstalk("run", "--engine", "ssot", "--baseline", file, "--no-json");
    expect(code).toBe(1);
    expect(stdout).toContain("ssot: stale baseline (listed as broken, now held): events.grammar");
  });
});
