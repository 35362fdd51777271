// From a failure to one line that reproduces it: exploration finds an interleaving bug, shrinks
// the scenario and the schedule, and prints a token that replays the same broken clause with the
// same witness every time, on any machine.
import { execFile } from "node:child_process";
import { cp, mkdtemp, readdir, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import ssot from "../../engines/ssot/index.ts";
import { loadCorpus } from "../../harness/explore/corpus.ts";
import { type ExploreReport, explore, type Finding } from "../../harness/explore/explorer.ts";
import { replayWitness } from "../../harness/explore/replay.ts";
import { decodeToken } from "../../harness/explore/token.ts";
import type { Target } from "../../harness/explore/trial.ts";
import { deferredSend } from "./fixtures.ts";

const SEED = 5;
const target: Target = {
  module: deferredSend,
  spec: "./suites/explore/fixtures.ts",
  reference: ssot,
  expected: new Set(),
  differential: true,
};

let report: ExploreReport;
let order: Finding;
let corpus: string;

beforeAll(async () => {
  corpus = await mkdtemp(path.join(tmpdir(), "crosstalk-corpus-"));
  report = await explore(target, {
    strategy: "random",
    seed: SEED,
    runs: 40,
    until: new Set(["delivery.order"]),
    only: new Set(["delivery.order"]),
    corpus,
    shrink: { scenario: 150, schedule: 40 },
  });
  order = report.findings.find((f) => f.key === "delivery.order") as Finding;
});

describe("exploring an engine whose defect needs an interleaving", () => {
  it("finds it with the random strategy and shrinks it to one user, one run", () => {
    expect(order).toBeDefined();
    const { size } = order.witness;
    expect(size.users).toBe(1);
    expect(size.runs).toBe(1);
    // FIFO never shows it, so the shrunk schedule still deviates from FIFO: one pick that
    // fires the thinking's frame before agent_started's (two, from a less lucky start).
    expect(size.deviations).toBeGreaterThanOrEqual(1);
    expect(size.deviations).toBeLessThanOrEqual(2);
    expect(order.flaky).toBeUndefined();
  });

  it("replays the same broken clause with the same witness 100 times out of 100", async () => {
    const spec = decodeToken(order.witness.token);
    for (let i = 0; i < 100; i += 1) {
      const replay = await replayWitness(spec, target);
      expect(replay.reproduced).toBe(true);
      expect(replay.same).toBe(true);
      expect(replay.witness?.summary).toBe(order.witness.summary);
    }
  });

  it("puts in the token no absolute path and no wall-clock time", () => {
    const spec = decodeToken(order.witness.token);
    expect(spec.engine).toBe("./suites/explore/fixtures.ts");
    const text = JSON.stringify(spec);
    expect(text).not.toContain(process.cwd());
    expect(text).not.toContain(tmpdir());
    expect(text).not.toMatch(/20\d\d-\d\d-\d\d/);
    // Nor an epoch timestamp: every number in it is a virtual instant, a pick, a seed or a size.
    const numbers = text.match(/\d{10,}/g) ?? [];
    expect(numbers.filter((n) => Number(n) > 1e12)).toEqual([]);
    expect(Object.keys(spec).sort()).toEqual(
      [
        "clause",
        "digest",
        "engine",
        "path",
        "picks",
        "retention",
        "scenario",
        "seed",
        "strategy",
        "v",
      ].sort(),
    );
  });

  it("saves the witness to the corpus and replays it first next time", async () => {
    const saved = await loadCorpus(corpus, deferredSend.name);
    expect(saved.map((e) => e.witness.clause)).toContain("delivery.order");
    expect(await readdir(path.join(corpus, deferredSend.name))).toHaveLength(saved.length);
    const again = await explore(target, {
      strategy: "fifo",
      seed: SEED,
      runs: 1,
      corpus,
      shrink: false,
      only: new Set(),
    });
    expect(again.regressions).toContainEqual(
      expect.objectContaining({
        clause: "delivery.order",
        outcome: "still-broken",
        expected: false,
      }),
    );
    // The reference engine replays the same corpus file and does not break: "fixed".
    const fixed = await explore(
      { ...target, module: { ...ssot, name: deferredSend.name }, spec: "ssot" },
      { strategy: "fifo", seed: SEED, runs: 1, corpus, shrink: false, only: new Set() },
    );
    expect(fixed.regressions.map((r) => r.outcome)).toEqual(saved.map(() => "fixed"));
  });
});

describe("a token made in one checkout", () => {
  // Another machine, as far as the token can tell: the same sources at another absolute path.
  it("replays in a fresh process, in a copy of the repository at another path, with its timeline", async () => {
    const root = path.resolve(import.meta.dirname, "../..");
    const copy = await mkdtemp(path.join(tmpdir(), "crosstalk-elsewhere-"));
    try {
      const out = path.join(root, "reports", "out");
      for (const entry of [
        "harness",
        "engines",
        "suites",
        "reports",
        "package.json",
        "tsconfig.json",
      ]) {
        await cp(path.join(root, entry), path.join(copy, entry), {
          recursive: true,
          filter: (source) => source !== out,
        });
      }
      await symlink(path.join(root, "node_modules"), path.join(copy, "node_modules"), "dir");
      const { stdout, code } = await run(
        process.execPath,
        [path.join(copy, "harness/cli/bin.js"), "repro", order.witness.token],
        copy,
      );
      expect(stdout).toContain("✗ delivery.order broken:");
      expect(stdout).toContain("the same witness as recorded");
      expect(code).toBe(1);
      // The timeline: a column per user and connection, the violating entries marked.
      expect(stdout).toMatch(/│ u1\/c1-1/);
      expect(stdout).toMatch(/^✗ +#\d+/m);
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  }, 60_000);
});

async function run(file: string, args: string[], cwd: string) {
  try {
    const { stdout } = await promisify(execFile)(file, args, { cwd });
    return { stdout, code: 0 };
  } catch (error) {
    const e = error as { stdout?: string; code?: number };
    return { stdout: e.stdout ?? "", code: e.code ?? -1 };
  }
}
