/**
 * The end of `crosstalk explore`: what the corpus replay said, then every witness found (the
 * clause, when it was first found, the size of the shrunk witness, its summary) with the one
 * line that replays it.
 */
import type { ExploreReport, Finding } from "../harness/explore/explorer.ts";

export function renderExploreReport(report: ExploreReport): string {
  const lines: string[] = [];
  lines.push(
    `explored ${report.engine}${report.transport === "ws" ? " over WebSockets" : ""} with strategy ${report.strategy}, seed ${report.seed}: ` +
      `${report.runs} scenario${report.runs === 1 ? "" : "s"} in ${report.seconds.toFixed(1)} s` +
      (report.shard ? ` (part ${report.shard.index} of ${report.shard.count})` : ""),
  );
  if (report.deadlineReruns > 0) {
    lines.push(
      `${report.deadlineReruns} scenario${report.deadlineReruns === 1 ? " was" : "s were"} cut off by the real-time deadline (a busy machine or a stuck engine) and run again with a longer one`,
    );
  }
  if (report.regressions.length > 0) {
    const still = report.regressions.filter((r) => r.outcome === "still-broken");
    const unexpected = still.filter((r) => !r.expected);
    lines.push(
      `corpus: ${report.regressions.length} witness${report.regressions.length === 1 ? "" : "es"} replayed first: ` +
        `${still.length} still broken (${unexpected.length} unexpected), ` +
        `${report.regressions.length - still.length} fixed`,
    );
    for (const r of unexpected) lines.push(`  ✗ ${r.clause} still broken: ${r.file}`);
  }
  if (report.findings.length === 0) {
    lines.push("no clause broke and no difference from the reference engine was seen");
    return `${lines.join("\n")}\n`;
  }
  const unexpected = report.findings.filter((f) => !f.expected).length;
  lines.push(
    `found ${report.findings.length} (${report.findings.length - unexpected} expected by the baseline, ${unexpected} unexpected):`,
  );
  for (const finding of report.findings) lines.push(...findingLines(finding));
  return `${lines.join("\n")}\n`;
}

function findingLines(finding: Finding): string[] {
  const { size } = finding.witness;
  const mark = finding.expected ? "x" : "✗";
  return [
    "",
    `${mark} ${finding.key}: first at run ${finding.run} (${finding.seconds.toFixed(1)} s); ` +
      `witness: ${plural(size.users, "user")}, ${plural(size.runs, "run")}, ` +
      `${plural(size.events, "event")}, ${plural(size.deviations, "schedule deviation")}` +
      (finding.flaky ? " (the replay differed: the engine is not deterministic)" : ""),
    `  ${finding.witness.summary}`,
    `  npx crosstalk repro ${finding.witness.token}`,
  ];
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
