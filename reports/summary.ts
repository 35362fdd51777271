/**
 * The one-screen console summary: a line of counts per engine, then each unexpected break with
 * its witness, who holds what it retained, and the command that replays it. Expected breaks are
 * only counted: the baseline already lists them, and the HTML report shows their witnesses.
 */
import type pc from "picocolors";
import type { BaselineComparison } from "../harness/conformance/baseline.ts";
import type { EngineReport } from "../harness/conformance/check-engine.ts";
import { countOutcomes, unexpectedBreaks } from "./outcome.ts";

type Colors = ReturnType<typeof pc.createColors>;

export function renderSummary(
  reports: readonly EngineReport[],
  comparisons: readonly BaselineComparison[],
  c: Colors,
): string[] {
  const lines: string[] = [];
  const nameWidth = Math.max(6, ...reports.map((r) => r.name.length));
  lines.push(
    c.dim(
      `${"engine".padEnd(nameWidth)}  ${["held", "expected", "unexpected", "not checked"].map((h) => h.padStart(12)).join("")}`,
    ),
  );
  for (const report of reports) {
    if (report.failure) {
      lines.push(`${report.name.padEnd(nameWidth)}  ${c.red(`engine failed: ${report.failure}`)}`);
      continue;
    }
    const n = countOutcomes(report.clauses);
    const cells = [
      c.green(String(n.held).padStart(12)),
      c.yellow(String(n.expected).padStart(12)),
      (n.unexpected > 0 ? c.red : c.dim)(String(n.unexpected).padStart(12)),
      c.dim(String(n["not-checked"]).padStart(12)),
    ];
    lines.push(`${report.name.padEnd(nameWidth)}  ${cells.join("")}`);
  }

  const details: string[] = [];
  for (const report of reports) {
    for (const clause of unexpectedBreaks(report)) {
      details.push(
        `${c.red("✗")} ${c.bold(report.name)} ${clause.id}: ${clause.witness?.summary ?? "broken"}`,
      );
      const retainer = clause.witness?.retainers?.[0];
      if (retainer) {
        const count = retainer.count > 1 ? ` (×${retainer.count})` : "";
        details.push(`    ${c.dim("held by:")} ${retainer.path}${count}`);
      }
      if (clause.witness?.replay) details.push(`    ${c.dim(`replay: ${clause.witness.replay}`)}`);
    }
  }
  if (details.length > 0) lines.push("", ...details);

  const problems: string[] = [];
  for (const comparison of comparisons) {
    if (comparison.unexpected.length > 0) {
      problems.push(`${comparison.engine}: unexpected breaks: ${comparison.unexpected.join(", ")}`);
    }
    if (comparison.stale.length > 0) {
      problems.push(
        `${comparison.engine}: stale baseline (listed as broken, now held): ${comparison.stale.join(", ")}`,
      );
    }
  }
  const failed = reports.filter((r) => r.failure).map((r) => r.name);
  lines.push("");
  if (problems.length === 0 && failed.length === 0) {
    const expected = reports.reduce((n, r) => n + countOutcomes(r.clauses).expected, 0);
    lines.push(
      c.green(`✓ ${reports.length} engine(s) as expected`) +
        (expected > 0 ? c.dim(` (${expected} break(s) the baseline expects)`) : ""),
    );
  } else {
    for (const problem of problems) lines.push(c.red(`✗ ${problem}`));
    if (failed.length > 0) lines.push(c.red(`✗ engine(s) failed: ${failed.join(", ")}`));
  }
  return lines;
}
