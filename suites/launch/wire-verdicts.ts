/** What the launch suites demand of a report from the remote checker. */
import { expect } from "vitest";
import type { EngineReport } from "../../harness/conformance/check-engine.ts";
import { type Cover, WIRE_CLAUSES } from "./quick-cover.ts";

/**
 * Every wire clause held, except, in a quick check, clauses it could not afford to exercise
 * (those must be not-checked, never broken); every other clause not-checked, never held.
 * Returns a one-line summary for the suite's log.
 */
export function expectWireClausesHeld(report: EngineReport, cover: Cover): string {
  expect(report.failure).toBeUndefined();
  const problems = report.clauses.flatMap((c) => {
    const wire = WIRE_CLAUSES.includes(c.id);
    if (wire && c.verdict === "held") return [];
    if (!wire && c.verdict === "not-checked") return [];
    if (wire && c.verdict === "not-checked" && cover.uncovered.includes(c.id)) return [];
    return [`${c.id}: ${c.verdict}: ${c.witness?.summary ?? c.reason ?? ""}`];
  });
  expect(problems).toEqual([]);
  const held = report.clauses.filter((c) => c.verdict === "held").map((c) => c.id);
  const left = WIRE_CLAUSES.filter((id) => !held.includes(id));
  return `${held.length} of ${WIRE_CLAUSES.length} wire clauses held${left.length ? ` (not exercised by the quick check: ${left.join(", ")}; npm run test:wire runs every scenario)` : ""}`;
}
