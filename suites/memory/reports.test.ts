// Who holds it, where a developer reads it: every legacy engine whose design retains memory
// breaks a cleanup.* clause whose witness names the holding field, with the count; the console
// shows the first path under the witness, results.json validates with all of them; resources
// left after shutdown are named.
import { afterAll, describe, expect, it } from "vitest";
import consolidated from "../../engines/consolidated/index.ts";
import isolatedFactory from "../../engines/isolated-factory/index.ts";
import legacyGlobal from "../../engines/legacy-global/index.ts";
import mcp from "../../engines/mcp/index.ts";
import { checkCleanup } from "../../harness/checkers/cleanup.ts";
import { scenario } from "../../harness/conformance/build.ts";
import { findScenario } from "../../harness/conformance/catalogue.ts";
import { checkEngine } from "../../harness/conformance/check-engine.ts";
import type { ClauseId, EngineModule } from "../../harness/contract/index.ts";
import { runScenario } from "../../harness/run/runner.ts";
import { renderConsole } from "../../reports/console.ts";
import { resultsDocument } from "../../reports/results.ts";
import { resultsSchema } from "../../reports/results-schema.ts";
import { leavesResources } from "../fixtures/memory.ts";

// The suites run without heap snapshots (vitest.config.ts); this file is about what they show.
process.env.CROSSTALK_HEAP_SNAPSHOTS = "1";

const leaver = leavesResources();
afterAll(() => leaver.cleanUp());

const TRACKER = String.raw`process \(LegacyProcess\) → tracker \(ExecutionTracker\) → #deathCallbacks \(Array\) → \[\d+\] \(anonymous function\)`;

/** Each legacy design that retains memory, the clause it breaks, and the field its witness names. */
const HOLDERS: { engine: EngineModule; scenario: string; clause: ClauseId; path: RegExp }[] = [
  {
    engine: mcp,
    scenario: "cleanup-run-every-end",
    clause: "cleanup.shutdown",
    path: new RegExp(
      String.raw`^engine \(McpBackend\) → ${TRACKER} → scope\.instance \(McpExecutionEngine\) → userContext \(Object\)$`,
    ),
  },
  {
    engine: consolidated,
    scenario: "shapes-request-metadata",
    clause: "cleanup.run",
    path: /^engine \(Object\) → .* → data \(DataExecutionExtension\) → dataCache \(Map\) → entry "invoices-summary" \(Object\) → results \(Array\) → \[0\] \(Object\)$/,
  },
  {
    engine: isolatedFactory,
    scenario: "cleanup-run-every-end",
    clause: "cleanup.run",
    path: /^engine \(Object\) → .* → scope\.factory \(ExecutionEngineFactory\) → activeContexts \(Map\) → entry "req-r\d" \(ExecutionFactoryContext\) → context \(Object\)$/,
  },
];

describe("retainers in the conformance report", () => {
  it("legacy-global: cleanup.run's witness names the tracker's callbacks, with the count; the console shows it", async () => {
    const report = await checkEngine(legacyGlobal, { scenarios: ["cleanup-run-every-end"] });
    const clause = report.clauses.find((c) => c.id === "cleanup.run");
    expect(clause?.verdict).toBe("broken");
    const first = clause?.witness?.retainers?.[0];
    expect(first?.path).toMatch(
      new RegExp(
        String.raw`^engine \(LegacyBackend\) → ${TRACKER} → scope\.this \(ExecutionEngine\) → userContext \(Object\)$`,
      ),
    );
    expect(first?.count).toBe(4);
    expect(first?.kinds).toEqual(["context"]);
    const text = renderConsole([report], []);
    expect(text).toContain(`    held by: ${first?.path} (×4)`);
    const parsed = resultsSchema.safeParse(JSON.parse(JSON.stringify(resultsDocument([report]))));
    expect(parsed.error?.issues ?? []).toEqual([]);
  });

  for (const row of HOLDERS) {
    it(`${row.engine.name}: ${row.clause}'s witness names the holding field`, async () => {
      const item = findScenario(row.scenario);
      if (!item) throw new Error(`no scenario ${row.scenario}`);
      const history = await runScenario(row.engine, item.scenario, item.options);
      const verdict = checkCleanup(history).find((v) => v.id === row.clause);
      expect(verdict?.verdict).toBe("broken");
      const paths = verdict?.verdict === "broken" ? verdict.witness.retainers : undefined;
      expect(paths?.map((p) => p.path)).toContainEqual(expect.stringMatching(row.path));
    });
  }
});

describe("resources left after shutdown", () => {
  it("names the interval, the server and the process listener the engine left", async () => {
    const s = scenario("leaves-resources").attach("c1", "u1").at(10).shutdown().build();
    const history = await runScenario(leaver.engine, s);
    const named = history.leftovers.named ?? [];
    expect(named).toContain("setInterval(heartbeat, every 1000 ms)");
    expect(named).toContainEqual(expect.stringMatching(/^server listening on 127\.0\.0\.1:\d+$/));
    expect(named).toContain('process.on("exit", onProcessExit())');
    const verdict = checkCleanup(history).find((v) => v.id === "cleanup.shutdown");
    expect(verdict?.verdict).toBe("broken");
    if (verdict?.verdict === "broken") {
      expect(verdict.witness.summary).toContain("setInterval(heartbeat, every 1000 ms)");
    }
  });
});
