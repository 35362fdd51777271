// `crosstalk serve` as a process a team would start, and `crosstalk run --url` checking it:
// the URL it prints, the not-checked reasons in the console, a clean stop on SIGTERM, and
// bad usage refused with exit 2.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { crosstalkInProcess, root } from "../cli/cli.ts";

function startServe(...args: string[]): {
  child: ChildProcess;
  url: Promise<string>;
  exit: Promise<number | null>;
  output: () => string;
} {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(root, "harness/cli/main.ts"), "serve", ...args],
    { cwd: root, env: { ...process.env, CI: "true" } },
  );
  let output = "";
  const url = new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", (chunk) => {
      output += String(chunk);
      const match = /listening on (ws:\/\/\S+)/.exec(output);
      if (match) resolve(match[1] as string);
    });
    child.once("exit", (code) => reject(new Error(`serve exited ${code}: ${output}`)));
  });
  url.catch(() => {});
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, url, exit, output: () => output };
}

describe("crosstalk serve and crosstalk run --url", () => {
  it("serves the reference; run --url checks it and says why clauses were not checked; SIGTERM stops it", async () => {
    const served = startServe(
      "--engine",
      "ssot",
      "--secret",
      "s3cret",
      "--limit",
      "runTimeoutMs=1000",
    );
    try {
      const url = await served.url;
      const out = mkdtempSync(path.join(tmpdir(), "crosstalk-remote-"));
      const { code, stdout } = await crosstalkInProcess(
        "run",
        "--url",
        url,
        "--secret",
        "s3cret",
        "--scenario",
        "events-think-and-tools",
        "cleanup-close-user",
        "--out",
        out,
      );
      expect(code).toBe(0);
      expect(stdout).toMatch(/events\.grammar\s+✓/);
      expect(stdout).toContain("not checked over the wire");
      expect(stdout).toMatch(/· cleanup\.user: closeUser has no frame in the wire protocol/);
      expect(stdout).toMatch(
        /· cleanup-close-user: not run: it calls closeUser\(\) at 10 ms, and the wire protocol has no frame for closeUser/,
      );
    } finally {
      served.child.kill("SIGTERM");
    }
    expect(await served.exit).toBe(0);
    expect(served.output()).toContain("stopped");
  }, 60_000);

  it("a URL that is not ws://, or no secret: exit 2", async () => {
    const notWs = await crosstalkInProcess("run", "--url", "http://127.0.0.1:1", "--secret", "x");
    expect(notWs.code).toBe(2);
    expect(notWs.stderr).toContain("is not a WebSocket URL");
    const noSecret = await crosstalkInProcess("run", "--url", "ws://127.0.0.1:1");
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toContain("--url needs --secret");
  });

  it("serve: an unknown engine is exit 3, a bad limit exit 2, an address it cannot listen on exit 3", async () => {
    const unknown = await crosstalkInProcess(
      "serve",
      "--engine",
      "no-such-engine",
      "--secret",
      "x",
    );
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain('unknown engine "no-such-engine"');
    const badLimit = await crosstalkInProcess(
      "serve",
      "--engine",
      "ssot",
      "--secret",
      "x",
      "--limit",
      "speed=9",
    );
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toContain("--limit speed=9: expected <name>=<integer>");
    const badHost = await crosstalkInProcess(
      "serve",
      "--engine",
      "ssot",
      "--secret",
      "x",
      "--host",
      "256.1.1.1",
    );
    expect(badHost.code).toBe(3);
    expect(badHost.stderr).toContain("could not serve ssot: getaddrinfo ENOTFOUND 256.1.1.1");
  });

  it("run --url against a closed port: exit 3 with the reason", async () => {
    const out = mkdtempSync(path.join(tmpdir(), "crosstalk-remote-"));
    const { code, stdout } = await crosstalkInProcess(
      "run",
      "--url",
      "ws://127.0.0.1:1",
      "--secret",
      "x",
      "--out",
      out,
    );
    expect(code).toBe(3);
    expect(stdout).toContain("refused the connection (ECONNREFUSED)");
  });
});
