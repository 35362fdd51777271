/**
 * The console report: a matrix of clauses (rows) by engines (columns), its legend, then the
 * one-screen summary (reports/summary.ts). Colours only when asked (on a terminal).
 */
import pc from "picocolors";
import type { BaselineComparison } from "../harness/conformance/baseline.ts";
import type { ClauseResult, EngineReport } from "../harness/conformance/check-engine.ts";
import { CLAUSE_IDS } from "../harness/contract/index.ts";
import { outcomeOf } from "./outcome.ts";
import { renderSummary } from "./summary.ts";

export interface ConsoleOptions {
  colors?: boolean;
}

export function renderConsole(
  reports: readonly EngineReport[],
  comparisons: readonly BaselineComparison[],
  options: ConsoleOptions = {},
): string {
  const c = pc.createColors(options.colors ?? false);
  const lines: string[] = [];
  const idWidth = Math.max(...CLAUSE_IDS.map((id) => id.length));
  const widths = reports.map((r) => Math.max(r.name.length, 4));
  lines.push(
    `${"clause".padEnd(idWidth)}  ${reports.map((r, i) => r.name.padEnd(widths[i] ?? 4)).join("  ")}`,
  );
  for (const id of CLAUSE_IDS) {
    const cells = reports.map((report, i) => {
      const width = widths[i] ?? 4;
      if (report.failure) return c.red("FAIL".padEnd(width));
      const clause = report.clauses.find((x) => x.id === id);
      return cell(clause, width, c);
    });
    lines.push(`${id.padEnd(idWidth)}  ${cells.join("  ")}`);
  }
  lines.push(
    "",
    c.dim("✓ held   ✗ broken (unexpected)   x broken (expected by the baseline)   · not checked"),
    "",
    ...renderSummary(reports, comparisons, c),
  );
  return `${lines.join("\n")}\n`;
}

function cell(
  clause: ClauseResult | undefined,
  width: number,
  c: ReturnType<typeof pc.createColors>,
) {
  const pad = (s: string) => s.padEnd(width);
  switch (outcomeOf(clause)) {
    case "not-checked":
      return c.dim(pad("·"));
    case "held":
      return c.green(pad("✓"));
    case "expected":
      return c.yellow(pad("x"));
    case "unexpected":
      return c.red(pad("✗"));
  }
}
