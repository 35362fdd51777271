/**
 * A results document from a real run, for the report suites: the reference and legacy-global on
 * three contract scenarios, judged against a baseline made so that every outcome appears: held,
 * broken as expected (legacy-global's breaks are listed), broken unexpectedly (but for its
 * events.terminal), a stale entry (the reference is said to break events.terminal) and not
 * checked; plus an engine that failed to load.
 */
import { loadEngine } from "../../harness/adapters/load.ts";
import { type Baseline, compareWithBaseline } from "../../harness/conformance/baseline.ts";
import { checkEngine, type EngineReport } from "../../harness/conformance/check-engine.ts";
import type { ClauseId } from "../../harness/contract/index.ts";
import { type ResultsDocument, resultsDocument } from "../../reports/results.ts";

export const SCENARIOS = ["events-timeouts", "cleanup-run-every-end", "per-user-limit-fifo"];
export const UNEXPECTED: ClauseId = "events.terminal";

export async function realResults(): Promise<ResultsDocument> {
  const engines: EngineReport[] = [];
  for (const name of ["ssot", "legacy-global"]) {
    engines.push(await checkEngine(await loadEngine(name), { scenarios: SCENARIOS }));
  }
  const [ssot, legacy] = engines as [EngineReport, EngineReport];
  const legacyBreaks = legacy.clauses.filter((c) => c.verdict === "broken").map((c) => c.id);
  if (!legacyBreaks.includes(UNEXPECTED)) {
    throw new Error(`legacy-global no longer breaks ${UNEXPECTED} in ${SCENARIOS.join(", ")}`);
  }
  const baseline: Baseline = {
    ssot: [UNEXPECTED],
    "legacy-global": legacyBreaks.filter((id) => id !== UNEXPECTED),
  };
  for (const report of engines) {
    const comparison = compareWithBaseline(report, baseline);
    if (comparison.stale.length > 0) report.stale = comparison.stale;
  }
  if (ssot.stale?.[0] !== UNEXPECTED) throw new Error(`ssot now breaks ${UNEXPECTED}`);
  engines.push({
    name: "broken-module",
    failure: "engine module x.ts exports no engine factory",
    clauses: [],
    scenarios: [],
  });
  return resultsDocument(engines);
}
