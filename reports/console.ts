/**
 * The console report: a matrix of clauses (rows) by engines (columns), then one line per break
 * with its witness and replay command, then a one-line summary. Colours only on a terminal.
 */
import pc from "picocolors";
import type { BaselineComparison } from "../harness/conformance/baseline.ts";
import type { ClauseResult, EngineReport } from "../harness/conformance/check-engine.ts";
import { CLAUSE_IDS } from "../harness/contract/index.ts";

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
  );

  const breaks: string[] = [];
  for (const report of reports) {
    if (report.failure) {
      breaks.push(`${c.red("✗")} ${c.bold(report.name)}: engine failed: ${report.failure}`);
      continue;
    }
    for (const clause of report.clauses) {
      if (clause.verdict !== "broken" || !clause.witness) continue;
      const mark = clause.expected ? c.yellow("x") : c.red("✗");
      breaks.push(`${mark} ${c.bold(report.name)} ${clause.id}: ${clause.witness.summary}`);
      const retainer = clause.witness.retainers?.[0];
      if (retainer) {
        const count = retainer.count > 1 ? ` (×${retainer.count})` : "";
        breaks.push(`    ${c.dim("held by:")} ${retainer.path}${count}`);
      }
      if (clause.witness.replay) breaks.push(`    ${c.dim(`replay: ${clause.witness.replay}`)}`);
    }
  }
  if (breaks.length > 0) lines.push("", ...breaks);

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
    const total = reports.reduce(
      (n, r) => n + r.clauses.filter((x) => x.verdict === "broken").length,
      0,
    );
    lines.push(
      c.green(`✓ ${reports.length} engine(s) as expected`) +
        (total > 0 ? c.dim(` (${total} expected break(s))`) : ""),
    );
  } else {
    for (const problem of problems) lines.push(c.red(`✗ ${problem}`));
    if (failed.length > 0) lines.push(c.red(`✗ engine(s) failed: ${failed.join(", ")}`));
  }
  return `${lines.join("\n")}\n`;
}

function cell(
  clause: ClauseResult | undefined,
  width: number,
  c: ReturnType<typeof pc.createColors>,
) {
  const pad = (s: string) => s.padEnd(width);
  if (!clause || clause.verdict === "not-checked") return c.dim(pad("·"));
  if (clause.verdict === "held") return c.green(pad("✓"));
  return clause.expected ? c.yellow(pad("x")) : c.red(pad("✗"));
}
