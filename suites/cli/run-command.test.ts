// `crosstalk run` as a user meets it: reports written, exit codes that mean something. A few
// cases run as child processes, for the process's real exit status; the rest through main().
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { crosstalk, crosstalkInProcess } from "./cli.ts";

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), "crosstalk-run-"));
}

describe("crosstalk run, as a process", () => {
  it("an unknown flag: exit status 2", () => {
    const { code, stderr } = crosstalk("run", "--no-such-flag");
    expect(code).toBe(2);
    expect(stderr).toContain("unknown option '--no-such-flag'");
  });

  it("an engine whose factory throws: exit status 3 with its message", () => {
    const { code, stdout } = crosstalk(
      "run",
      "--engine",
      "suites/fixtures/bad-engines/factory-throws.ts",
      "--reporter",
      "console",
    );
    expect(code).toBe(3);
    expect(stdout).toContain("database not configured");
  });
});

describe("crosstalk run", () => {
  it("the reference, as the baseline expects: exit 0, console and results.json by default", async () => {
    const out = tempDir();
    const { code, stdout } = await crosstalkInProcess("run", "--engine", "ssot", "--out", out);
    expect(code).toBe(0);
    expect(stdout).toContain("1 engine(s) as expected");
    expect(stdout).toMatch(/events\.grammar\s+✓/);
    expect(stdout).toContain(`report: ${path.join(out, "results.json")}`);
    const results = JSON.parse(readFileSync(path.join(out, "results.json"), "utf8"));
    expect(results.engines[0].name).toBe("ssot");
    expect(results.engines[0].clauses).toHaveLength(38);
  });

  it("--reporter chooses the reports: junit and html files, no console matrix", async () => {
    const out = tempDir();
    const { code, stdout } = await crosstalkInProcess(
      "run",
      "--engine",
      "ssot",
      "--scenario",
      "events-think-and-tools",
      "--reporter",
      "junit,html",
      "--out",
      out,
    );
    expect(code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["junit.xml", "report.html"]);
    expect(stdout).not.toContain("events.grammar");
    expect(stdout).toContain(`report: ${path.join(out, "junit.xml")}`);
  });

  it("the HTML report draws bench.json when crosstalk bench left one under --out", async () => {
    const out = tempDir();
    const args = ["run", "--engine", "ssot", "--scenario", "events-think-and-tools"];
    await crosstalkInProcess(...args, "--reporter", "html", "--out", out);
    expect(readFileSync(path.join(out, "report.html"), "utf8")).not.toContain('class="bench"');
    // Not a valid bench document: the page says so in its benchmark section, which shows it was read.
    writeFileSync(path.join(out, "bench.json"), "{}");
    await crosstalkInProcess(...args, "--reporter", "html", "--out", out);
    expect(readFileSync(path.join(out, "report.html"), "utf8")).toContain(
      "the benchmark document does not match its schema",
    );
  });

  it("--no-json, kept for older scripts, writes no results.json", async () => {
    const out = tempDir();
    const { code } = await crosstalkInProcess(
      "run",
      "--engine",
      "ssot",
      "--scenario",
      "events-think-and-tools",
      "--no-json",
      "--out",
      out,
    );
    expect(code).toBe(0);
    expect(readdirSync(out)).toEqual([]);
  });

  it("an engine by path with a break the baseline does not list: exit 1, witness and replay shown", async () => {
    const { code, stdout } = await crosstalkInProcess(
      "run",
      "--engine",
      "suites/fixtures/bad-engines/never-settles.ts",
      "--scenario",
      "events-think-and-tools",
      "--reporter",
      "console",
    );
    expect(code).toBe(1);
    expect(stdout).toContain("never-settles: unexpected breaks:");
    expect(stdout).toContain("concurrency.no-deadlock");
    expect(stdout).toContain(
      "replay: npx crosstalk run --engine suites/fixtures/bad-engines/never-settles.ts --scenario events-think-and-tools",
    );
  });

  it("a baseline listing a break that now holds is stale: exit 1", async () => {
    const file = path.join(tempDir(), "baseline.json");
    writeFileSync(file, JSON.stringify({ engines: { ssot: { breaks: ["events.grammar"] } } }));
    const { code, stdout } = await crosstalkInProcess(
      "run",
      "--engine",
      "ssot",
      "--scenario",
      "events-think-and-tools",
      "--baseline",
      file,
      "--reporter",
      "console",
    );
    expect(code).toBe(1);
    expect(stdout).toContain("ssot: stale baseline (listed as broken, now held): events.grammar");
  });

  it("a shard does not call a listed break stale: another shard may see it", async () => {
    const file = path.join(tempDir(), "baseline.json");
    writeFileSync(file, JSON.stringify({ engines: { ssot: { breaks: ["events.grammar"] } } }));
    const { code, stdout } = await crosstalkInProcess(
      "run",
      "--engine",
      "ssot",
      "--scenario",
      "events-think-and-tools",
      "--baseline",
      file,
      "--shard",
      "1/1",
      "--reporter",
      "console",
    );
    expect(code).toBe(0);
    expect(stdout).not.toContain("stale");
    expect(stdout).toContain("shard 1/1: 1 engine(s)");
  });
});
