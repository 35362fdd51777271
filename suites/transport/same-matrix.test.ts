// One contract, two transports: every bundled engine, every contract scenario, run in process
// and over real WebSockets (as `crosstalk run --all` and `--all --transport ws` run them), must
// get the same verdict on every clause, scenario by scenario and in the folded matrix; over the
// wire the security clauses are checked too, for every engine, and the reference holds them.
// One baseline covers both transports: neither matrix may break what it does not list, nor
// hold what it does.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { BUNDLED_ENGINES } from "../../engines/index.ts";
import type { Verdict } from "../../harness/checkers/verdict.ts";
import { compareWithBaseline, readBaseline } from "../../harness/conformance/baseline.ts";
import { CONFORMANCE_SCENARIOS } from "../../harness/conformance/catalogue.ts";
import {
  type CheckEngineOptions,
  checkEngine,
  type EngineReport,
} from "../../harness/conformance/check-engine.ts";
import { type ClauseId, WIRE_ONLY_CLAUSES } from "../../harness/contract/index.ts";
import type { History } from "../../harness/run/history.ts";

const BASELINE = path.resolve(import.meta.dirname, "../../engines/baseline.json");

/** Verdict per clause, with the witness when broken: the same break, said the same way. */
function said(verdicts: Verdict[]): string[] {
  return verdicts
    .filter((v) => !WIRE_ONLY_CLAUSES.includes(v.id))
    .map((v) =>
      v.verdict === "broken" ? `${v.id}: broken: ${v.witness.summary}` : `${v.id}: ${v.verdict}`,
    );
}

/** The engine's row of the matrix: clause → verdict. */
function row(report: EngineReport, keep: (id: ClauseId) => boolean): Record<string, string> {
  return Object.fromEntries(report.clauses.filter((c) => keep(c.id)).map((c) => [c.id, c.verdict]));
}

/** Runs the contract as the CLI does, keeping each scenario's verdicts and history. */
async function matrix(engine: Parameters<typeof checkEngine>[0], options: CheckEngineOptions) {
  const scenarios = new Map<string, { said: string[]; history: History }>();
  const report = await checkEngine(engine, {
    ...options,
    onHistory: (history, verdicts) =>
      scenarios.set(history.scenario.name, { said: said(verdicts), history }),
  });
  return { report, scenarios };
}

describe("the same verdicts in process and over WebSockets", () => {
  for (const [name, load] of Object.entries(BUNDLED_ENGINES)) {
    it(`${name}: every contract scenario, the matrix, the security clauses and the baseline`, async () => {
      const engine = (await load()).default;
      const baseline = await readBaseline(BASELINE);
      const memory = await matrix(engine, {});
      const wire = await matrix(engine, { transport: "ws" });
      expect(memory.report.failure).toBeUndefined();
      expect(wire.report.failure).toBeUndefined();

      for (const item of CONFORMANCE_SCENARIOS) {
        const scenario = item.scenario.name;
        const overWire = wire.scenarios.get(scenario);
        expect(overWire?.history.wire?.sockets.length, `${name}, ${scenario}`).toBeGreaterThan(0);
        expect(overWire?.said, `${name}, scenario ${scenario}`).toEqual(
          memory.scenarios.get(scenario)?.said,
        );
      }

      const contractOnly = (id: ClauseId) => !WIRE_ONLY_CLAUSES.includes(id);
      expect(row(wire.report, contractOnly)).toEqual(row(memory.report, contractOnly));
      const security = (id: ClauseId) => WIRE_ONLY_CLAUSES.includes(id);
      for (const [id, verdict] of Object.entries(row(wire.report, security))) {
        expect(verdict, `${name} ${id} over the wire`).not.toBe("not-checked");
        if (name === "ssot") expect(verdict, `ssot ${id}`).toBe("held");
      }
      for (const verdict of Object.values(row(memory.report, security))) {
        expect(verdict).toBe("not-checked");
      }

      for (const report of [memory.report, wire.report]) {
        const comparison = compareWithBaseline(report, baseline);
        expect(comparison.unexpected, `${name}: breaks the baseline does not list`).toEqual([]);
        expect(comparison.stale, `${name}: listed breaks that now hold`).toEqual([]);
      }
    });
  }
});
