/**
 * The part of a remote check the matrix cannot show: why each clause was not checked (the
 * wire cannot show it, or the scenarios written for it could not run), and which scenarios
 * were not run or could not be completed.
 */
import type { EngineReport } from "../../conformance/check-engine.ts";

export function renderNotChecked(report: EngineReport): string {
  if (report.failure) return "";
  const lines: string[] = [];
  const notChecked = report.clauses.filter((c) => c.verdict === "not-checked");
  if (notChecked.length > 0) {
    lines.push(`not checked over the wire (${notChecked.length}):`);
    for (const clause of notChecked)
      lines.push(`  · ${clause.id}: ${clause.reason ?? "no reason given"}`);
  }
  const troubled = report.scenarios.filter((s) => s.failure);
  if (troubled.length > 0) {
    lines.push(`scenarios not run or not completed (${troubled.length}):`);
    for (const scenario of troubled) lines.push(`  · ${scenario.name}: ${scenario.failure}`);
  }
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}
