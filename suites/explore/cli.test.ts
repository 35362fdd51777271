// `crosstalk explore` and `crosstalk repro`: exit codes, the report, bad input.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { exploreCommand } from "../../harness/cli/commands/explore.ts";
import { reproCommand } from "../../harness/cli/commands/repro.ts";
import { CliError, EXIT } from "../../harness/cli/exit-codes.ts";
import { main } from "../../harness/cli/main.ts";
import { encodeToken, TOKEN_PREFIX } from "../../harness/explore/token.ts";

const base = {
  strategy: "pct" as const,
  seed: 1,
  baseline: "engines/baseline.json",
  shrink: true,
  differential: true,
};

function collect() {
  const out: string[] = [];
  return { out, write: (text: string) => void out.push(text) };
}

describe("crosstalk explore", () => {
  it("exits 0 on the reference and says nothing broke", async () => {
    const { out, write } = collect();
    const { exitCode, report } = await exploreCommand(
      { ...base, engine: "ssot", runs: 4, corpus: false },
      write,
    );
    expect(exitCode).toBe(EXIT.ok);
    expect(report.runs).toBe(4);
    expect(out.join("")).toContain("explored ssot with strategy pct, seed 1: 4 scenarios");
    expect(out.join("")).toContain("no clause broke");
  });

  it("exits 1 on an unexpected break and prints one repro line per witness", async () => {
    const corpus = await mkdtemp(path.join(tmpdir(), "crosstalk-cli-"));
    const { out, write } = collect();
    const { exitCode, report } = await exploreCommand(
      {
        ...base,
        engine: "./suites/explore/fixtures.ts",
        strategy: "random",
        seed: 11,
        runs: 3,
        corpus,
        shrink: false,
      },
      write,
    );
    expect(exitCode).toBe(EXIT.unexpected);
    const text = out.join("");
    expect(text).toMatch(/✗ delivery\.order: first at run \d+/);
    const lines = text.split("\n").filter((l) => l.includes("npx crosstalk repro ct1."));
    expect(lines).toHaveLength(report.findings.length);
    // Saved to the corpus given.
    expect(report.findings.every((f) => f.file?.startsWith(corpus))).toBe(true);
  });

  it("exits 3 when the engine cannot be loaded, 2 on a bad option", async () => {
    await expect(
      exploreCommand({ ...base, engine: "./no/such/engine.ts", runs: 1, corpus: false }),
    ).rejects.toMatchObject({ exitCode: EXIT.engine });
    await expect(
      exploreCommand({
        ...base,
        engine: "./suites/fixtures/bad-engines/factory-throws.ts",
        runs: 2,
        corpus: false,
      }),
    ).rejects.toMatchObject({ exitCode: EXIT.engine });
    expect(await main(["explore", "--engine", "ssot", "--runs", "zero"])).toBe(EXIT.usage);
    expect(await main(["explore", "--engine", "ssot", "--strategy", "chaos"])).toBe(EXIT.usage);
  });
});

describe("crosstalk repro", () => {
  it("exits 2 on a token that is not one, or damaged", async () => {
    await expect(reproCommand({ witness: "ct1.%%%", timeline: false })).rejects.toBeInstanceOf(
      CliError,
    );
    await expect(
      reproCommand({ witness: `${TOKEN_PREFIX}AAAA`, timeline: false }),
    ).rejects.toMatchObject({ exitCode: EXIT.usage });
    await expect(
      reproCommand({ witness: "reports/out/witnesses/none.json", timeline: false }),
    ).rejects.toMatchObject({ exitCode: EXIT.usage });
  });

  it("exits 0 when the clause holds: the witness no longer reproduces", async () => {
    const token = encodeToken({
      v: 1,
      engine: "ssot",
      clause: "delivery.order",
      strategy: "random",
      seed: 1,
      path: "0",
      scenario: {
        name: "fixed",
        users: ["u1"],
        ops: [
          { op: "attach", connectionId: "c1", userId: "u1", at: 0 },
          {
            op: "execute",
            at: 0,
            context: { userId: "u1", threadId: "t", runId: "r", requestId: "q", metadata: {} },
            request: { agentName: "scripted", input: { steps: [{ think: "a" }] } },
          },
        ],
      },
      retention: false,
      picks: [[0, 1]],
      digest: "000000000000",
    });
    const { out, write } = collect();
    expect(await reproCommand({ witness: token, timeline: true }, write)).toBe(EXIT.ok);
    expect(out.join("")).toContain("✓ delivery.order held: the witness no longer reproduces");
    expect(out.join("")).toMatch(/│ u1\/c1/);
  });

  it("exits 3 when the token's engine cannot be loaded", async () => {
    const token = encodeToken({
      v: 1,
      engine: "./gone.ts",
      clause: "events.grammar",
      strategy: "fifo",
      seed: 1,
      path: "0",
      scenario: { name: "x", users: [], ops: [] },
      retention: false,
      picks: [],
      digest: "x",
    });
    await expect(reproCommand({ witness: token, timeline: false })).rejects.toMatchObject({
      exitCode: EXIT.engine,
    });
  });
});
