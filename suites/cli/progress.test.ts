// The progress display: drawn for a person at a terminal, silent in CI and when piped.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { progressEnabled } from "../../harness/cli/progress.ts";
import { crosstalk, root } from "./cli.ts";

const RUN = [
  "run",
  "--engine",
  "ssot",
  "legacy-global",
  "--scenario",
  "events-think-and-tools",
  "isolation-same-input-two-users",
  "--reporter",
  "json",
];

describe("progress display", () => {
  it("is drawn on a real terminal: scenarios done, engine at work, witnesses found", () => {
    // util-linux's `script` gives the command a pseudo-terminal of its own.
    const out = mkdtempSync(path.join(tmpdir(), "crosstalk-progress-"));
    const command = [
      "stty cols 200;",
      "exec",
      process.execPath,
      "--import tsx harness/cli/main.ts",
      ...RUN,
      "--out",
      out,
    ].join(" ");
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: "xterm" };
    delete env.CI;
    const result = spawnSync("script", ["-qec", command, "/dev/null"], {
      cwd: root,
      encoding: "utf8",
      env,
    });
    // 1: with two scenarios, legacy-global's other listed breaks are reported stale.
    expect(result.status, result.stdout + result.stderr).toBe(1);
    expect(result.stdout).toContain("0/4 scenarios | engine");
    expect(result.stdout).toContain("4/4 scenarios | engine 2/2 legacy-global |");
    expect(result.stdout).toMatch(/\| [1-9]\d* witnesses \|/);
  });

  it("stays quiet in CI and when stderr is not a terminal", () => {
    const out = mkdtempSync(path.join(tmpdir(), "crosstalk-progress-"));
    const { code, stderr } = crosstalk(
      "run",
      "--engine",
      "ssot",
      "--scenario",
      "events-think-and-tools",
      "--reporter",
      "json",
      "--out",
      out,
    );
    expect(code).toBe(0);
    expect(stderr).toBe("");
    const terminal = { isTTY: true } as NodeJS.WriteStream;
    expect(progressEnabled({ stream: terminal, env: {} })).toBe(true);
    expect(progressEnabled({ stream: terminal, env: { CI: "true" } })).toBe(false);
    expect(progressEnabled({ stream: terminal, env: { CI: "1" } })).toBe(false);
    expect(progressEnabled({ stream: terminal, env: { CI: "false" } })).toBe(true);
    expect(progressEnabled({ stream: process.stderr, env: {} })).toBe(
      process.stderr.isTTY === true,
    );
  });
});
