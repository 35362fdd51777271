/**
 * How every report sorts a clause result: held, broken and listed in the baseline, broken and
 * not listed, or not checked. One definition, so the console, JUnit and HTML always agree.
 */
import type { ClauseResult, EngineReport } from "../harness/conformance/check-engine.ts";

export type Outcome = "held" | "expected" | "unexpected" | "not-checked";

export const OUTCOMES: readonly Outcome[] = ["held", "expected", "unexpected", "not-checked"];

export function outcomeOf(clause: ClauseResult | undefined): Outcome {
  if (!clause || clause.verdict === "not-checked") return "not-checked";
  if (clause.verdict === "held") return "held";
  return clause.expected ? "expected" : "unexpected";
}

export type OutcomeCounts = Record<Outcome, number>;

export function countOutcomes(clauses: readonly (ClauseResult | undefined)[]): OutcomeCounts {
  const counts: OutcomeCounts = { held: 0, expected: 0, unexpected: 0, "not-checked": 0 };
  for (const clause of clauses) counts[outcomeOf(clause)] += 1;
  return counts;
}

/** Unexpected breaks of an engine: what makes a run fail. */
export function unexpectedBreaks(report: EngineReport): ClauseResult[] {
  return report.clauses.filter((c) => outcomeOf(c) === "unexpected");
}
