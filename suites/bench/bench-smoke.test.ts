/**
 * A smoke run of `crosstalk bench` with tiny budgets: the reference, a bundled legacy engine and
 * an engine given by path that leaks every user's answers. It checks the shape and the logic of
 * the document (schema, every figure with tinybench's rme and samples, ratios against the
 * reference of this run, leaking workloads marked), never how fast anything was.
 */
import { readFile } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import type { benchCommand } from "../../harness/cli/commands/bench.ts";
import { EXIT } from "../../harness/cli/exit-codes.ts";
import { renderBenchConsole } from "../../reports/bench-console.ts";
import { type BenchDocument, benchSchema } from "../../reports/bench-schema.ts";
import { tinyBench } from "./tiny.ts";

const LEAKY = "suites/bench/fixtures/leaks-answers.ts";
const USERS = [1, 3];

/** Every figure id one engine must have for USERS (3 is both the largest and the overhead size). */
const EXPECTED_IDS = [
  ...USERS.map((n) => `runs-per-second.in-process.${n}`),
  ...USERS.flatMap((n) => [
    `runs-per-second.ws.${n}`,
    `latency-p50.ws.${n}`,
    `latency-p99.ws.${n}`,
  ]),
  "scenario-time-unchecked.in-process.3",
  "scenario-time-checked.in-process.3",
  "checking-overhead.in-process.3",
  "heap-per-active-user.3",
  "heap-per-completed-run.3",
  "session-open-close.in-process",
  "session-open-close.ws",
];

let outcome: Awaited<ReturnType<typeof benchCommand>>;
let written: BenchDocument;
let printed = "";

beforeAll(async () => {
  outcome = await tinyBench(
    { engines: ["legacy-global", LEAKY], users: USERS, ws: true },
    (text) => {
      printed += text;
    },
  );
  written = JSON.parse(await readFile(outcome.file, "utf8")) as BenchDocument;
}, 120_000);

describe("crosstalk bench, smoke run", () => {
  it("writes a document the schema accepts, and exits 0", () => {
    expect(benchSchema.safeParse(written).success).toBe(true);
    expect(outcome.exitCode).toBe(EXIT.ok);
  });

  it("measures the reference first, then every engine asked for", () => {
    expect(written.engines.map((e) => [e.name, e.source, e.reference])).toEqual([
      ["ssot", "bundled", true],
      ["legacy-global", "bundled", false],
      ["leaks-answers", "path", false],
    ]);
  });

  it("has every figure on every engine, each with tinybench's rme and sample count", () => {
    for (const engine of written.engines) {
      expect(engine.figures.map((f) => f.id).sort(), engine.name).toEqual([...EXPECTED_IDS].sort());
      for (const figure of engine.figures) {
        const where = `${engine.name} ${figure.id}`;
        expect(figure.error, where).toBeUndefined();
        expect(figure.value, where).toEqual(expect.any(Number));
        expect(figure.samples, where).toBeGreaterThanOrEqual(1);
        // rme is null only where the mean is 0 (a relative margin of 0 is undefined).
        if (figure.value !== 0) expect(figure.rme, where).toEqual(expect.any(Number));
      }
    }
  });

  it("keeps CPU time beside wall time for the in-process runs and the checking overhead", () => {
    for (const engine of written.engines) {
      for (const figure of engine.figures.filter((f) => f.transport === "in-process")) {
        if (figure.kind === "runs-per-second") {
          expect(figure.detail?.cpuMsPerRun, `${engine.name} ${figure.id}`).toBeGreaterThan(0);
        }
        if (figure.kind === "checking-overhead") {
          expect(figure.derivedFrom).toEqual([
            "scenario-time-unchecked.in-process.3",
            "scenario-time-checked.in-process.3",
          ]);
          expect(figure.detail?.cpuOverheadPercent, engine.name).toEqual(expect.any(Number));
        }
      }
    }
  });

  it("computes every ratio against the reference's figure from the same run", () => {
    const reference = written.engines.find((e) => e.reference);
    const refValue = new Map(reference?.figures.map((f) => [f.id, f.value]));
    for (const engine of written.engines) {
      for (const figure of engine.figures) {
        const against = refValue.get(figure.id);
        if (figure.value === null || !against) {
          expect(figure.ratioToReference).toBeNull();
        } else {
          expect(figure.ratioToReference, `${engine.name} ${figure.id}`).toBeCloseTo(
            figure.value / against,
            9,
          );
        }
      }
    }
  });

  it("marks the leaking engine's multi-user workloads and their figures, not the reference's", () => {
    const leaky = written.engines.find((e) => e.name === "leaks-answers");
    const threeUsers = leaky?.workloads.filter((w) => w.users === 3) ?? [];
    expect(threeUsers.map((w) => w.transport).sort()).toEqual(["in-process", "ws"]);
    for (const workload of threeUsers) {
      expect(workload.brokenClauses.map((c) => c.id)).toContain("delivery.owner-only");
    }
    expect(leaky?.figures.find((f) => f.id === "runs-per-second.ws.3")?.marked).toBe(true);
    expect(leaky?.figures.find((f) => f.id === "runs-per-second.in-process.1")?.marked).toBe(false);
    const reference = written.engines.find((e) => e.reference);
    expect(reference?.workloads.flatMap((w) => w.brokenClauses)).toEqual([]);
    expect(reference?.figures.some((f) => f.marked)).toBe(false);
  });

  it("prints the table with a column per engine, the marks and what was broken", () => {
    expect(printed).toContain("ssot (ref)");
    expect(printed).toContain("leaks-answers");
    expect(printed).toMatch(/✗ leaks-answers runs\.ws\.3 broke delivery\.owner-only/);
    expect(renderBenchConsole(written)).toBe(printed.slice(0, printed.indexOf("\nresults: ")));
  });
});
