// `--shard i/n` and `crosstalk report --merge`: the shards split the run's units exactly, and
// their merge is the unsharded run's matrix, witnesses and all.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MergeError, mergeShards, type ShardDocument } from "../../harness/cli/shard/merge.ts";
import { parseShard, shardUnits } from "../../harness/cli/shard/plan.ts";
import { readResultsFile } from "../../harness/cli/shard/read.ts";
import type { EngineReport } from "../../harness/conformance/check-engine.ts";
import type { ClauseId } from "../../harness/contract/index.ts";
import { crosstalkInProcess } from "./cli.ts";

// Two legacy engines on scenarios that break their clauses (some several times over), so the
// merge has witnesses to choose between; the whole catalogue would take several times longer.
const ENGINES = ["legacy-global", "request-scoped"];
const SCENARIOS = [
  "events-think-and-tools",
  "events-failures-and-cancel",
  "events-timeouts",
  "delivery-colliding-thread-ids",
  "isolation-same-input-two-users",
  "per-user-limit-fifo",
  "shapes-more-runs-than-a-global-pool",
  "shapes-thread-run-ids",
  "shapes-run-id-reused-across-users",
];

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), "crosstalk-shard-"));
}

describe("--shard i/n", () => {
  it("parses i/n and refuses anything else with a message", () => {
    expect(parseShard("2/3")).toEqual({ index: 2, count: 3 });
    expect(() => parseShard("3")).toThrow("--shard takes i/n, such as 1/3");
    expect(() => parseShard("0/3")).toThrow("between 1 and 3");
    expect(() => parseShard("4/3")).toThrow("between 1 and 3");
    expect(() => parseShard("1/0")).toThrow("at least 1");
  });

  it("deals every engine × scenario unit to exactly one shard, the same way every time", () => {
    const shape = {
      engines: ["a", "b", "c"],
      scenarios: ["s1", "s2", "s3", "s4", "s5"],
      transport: "memory" as const,
      seed: "1",
    };
    for (const count of [1, 2, 3, 4, 7, 20]) {
      const dealt: string[] = [];
      for (let index = 1; index <= count; index++) {
        const units = shardUnits(shape, { index, count });
        expect(shardUnits(shape, { index, count })).toEqual(units);
        for (const [engine, scenarios] of units) {
          for (const scenario of scenarios) dealt.push(`${engine}/${scenario}`);
        }
      }
      expect(dealt.sort()).toEqual(
        shape.engines.flatMap((e) => shape.scenarios.map((s) => `${e}/${s}`)).sort(),
      );
    }
  });
});

describe("crosstalk report --merge", () => {
  it("two shards merged equal the unsharded run's results.json, byte for byte", async () => {
    const whole = tempDir();
    const run = ["run", "--engine", ...ENGINES, "--scenario", ...SCENARIOS, "--reporter", "json"];
    // Exit 1: listed breaks these few scenarios do not exercise are reported stale, and must be
    // in the merge too.
    const unsharded = await crosstalkInProcess(...run, "--out", whole);
    expect(unsharded.code, unsharded.stderr).toBe(1);

    const shards = [tempDir(), tempDir()];
    for (const [i, out] of shards.entries()) {
      const result = await crosstalkInProcess(...run, "--shard", `${i + 1}/2`, "--out", out);
      // A shard judges no staleness: its exit is about its own unexpected breaks (none).
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain(`shard ${i + 1}/2`);
    }
    const merged = tempDir();
    const report = await crosstalkInProcess(
      "report",
      "--merge",
      ...shards.map((dir) => path.join(dir, "results.json")),
      "--reporter",
      "json",
      "--out",
      merged,
    );
    expect(report.code, report.stderr).toBe(1);
    expect(readFileSync(path.join(merged, "results.json"), "utf8")).toBe(
      readFileSync(path.join(whole, "results.json"), "utf8"),
    );

    // The merge had real choices to make: both shards broke some clause with different witnesses.
    const [first, second] = await Promise.all(
      shards.map((dir) => readResultsFile(path.join(dir, "results.json"))),
    );
    const contested = ENGINES.flatMap((name) => {
      const a = first?.engines.find((e) => e.name === name) as EngineReport;
      const b = second?.engines.find((e) => e.name === name) as EngineReport;
      return a.clauses.filter((clause, i) => {
        const other = b.clauses[i];
        return (
          clause.verdict === "broken" &&
          other?.verdict === "broken" &&
          clause.witness?.scenario !== other.witness?.scenario
        );
      });
    });
    expect(contested.length).toBeGreaterThan(0);
  });

  it("keeps the witness the unsharded run keeps, whichever shard found it", () => {
    const plan = {
      count: 2,
      engines: ["e"],
      scenarios: ["ctx-invalid-ids", "events-timeouts"],
      transport: "memory" as const,
      seed: "1",
      specs: ["e"],
    };
    // Shard 1 ran events-timeouts, shard 2 ctx-invalid-ids (first in catalogue order).
    const shards = (id: ClauseId): ShardDocument[] =>
      [
        ["events-timeouts", 1],
        ["ctx-invalid-ids", 2],
      ].map(([scenario, index]) => ({
        file: `shard-${index}.json`,
        engines: [
          {
            name: "e",
            clauses: [
              {
                id,
                verdict: "broken",
                witness: { summary: `seen in ${scenario}`, scenario: String(scenario) },
              },
            ],
            scenarios: [{ name: String(scenario) }],
          },
        ],
        shard: { ...plan, index: Number(index) },
      }));
    const witness = (id: ClauseId) => mergeShards(shards(id))[0]?.clauses[0]?.witness?.scenario;

    // events-timeouts is written for events.terminal: its break wins over the earlier incidental one.
    expect(witness("events.terminal")).toBe("events-timeouts");
    // Neither is written for cleanup.stats: the first in catalogue order wins.
    expect(witness("cleanup.stats")).toBe("ctx-invalid-ids");
    // The scenarios outcomes come back in catalogue order.
    expect(mergeShards(shards("ctx.valid"))[0]?.scenarios.map((s) => s.name)).toEqual([
      "ctx-invalid-ids",
      "events-timeouts",
    ]);
  });

  it("merges separate runs on different engines into one matrix, each engine once", async () => {
    const runs = [
      ["ssot", tempDir()],
      ["suites/fixtures/bad-engines/never-settles.ts", tempDir()],
    ];
    for (const [engine, out] of runs) {
      await crosstalkInProcess(
        ...["run", "--engine", engine as string, "--scenario", "events-think-and-tools"],
        ...["--reporter", "json", "--out", out as string],
      );
    }
    const files = runs.map(([, out]) => path.join(out as string, "results.json"));
    const merged = tempDir();
    const { code, stdout } = await crosstalkInProcess(
      ...["report", "--merge", ...files, "--reporter", "console,junit", "--out", merged],
    );
    // never-settles breaks clauses no baseline lists: the merged run fails as its own run did.
    expect(code).toBe(1);
    expect(stdout).toMatch(/clause\s+ssot\s+never-settles/);
    expect(stdout).toContain("never-settles: unexpected breaks:");
    expect(readFileSync(path.join(merged, "junit.xml"), "utf8")).toContain("never-settles");

    const twice = await crosstalkInProcess(
      "report",
      "--merge",
      files[0] as string,
      files[0] as string,
    );
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain("engine ssot is in both");
  });

  it("refuses shards that do not make one whole run", () => {
    const plan = {
      count: 3,
      engines: ["ssot"],
      scenarios: ["events-think-and-tools"],
      transport: "memory" as const,
      seed: "1",
      specs: [],
    };
    const shard = (index: number, extra: Partial<typeof plan> = {}): ShardDocument => ({
      file: `shard-${index}.json`,
      engines: [],
      shard: { ...plan, ...extra, index },
    });
    expect(() => mergeShards([shard(1), shard(3)])).toThrow("shard 2/3 missing");
    expect(() => mergeShards([shard(1), shard(1), shard(2)])).toThrow(
      "shard-1.json and shard-1.json are both shard 1/3",
    );
    expect(() => mergeShards([shard(1), shard(2, { seed: "2" }), shard(3)])).toThrow(
      "shards of different runs",
    );
    expect(() => mergeShards([shard(1), { file: "plain.json", engines: [] }])).toThrow(MergeError);
  });
});
