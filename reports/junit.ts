/**
 * JUnit XML: one test suite per engine, one test case per clause. An unexpected break is a
 * failure carrying its witness, who holds what it retained and its replay command; a baseline
 * entry that now holds (stale) is a failure too, as it fails the run; a break the baseline
 * expects, and a clause that could not be checked, are skipped with the reason, so CI systems
 * count them right.
 */
import type { ClauseResult, EngineReport } from "../harness/conformance/check-engine.ts";

export function renderJUnit(reports: readonly EngineReport[]): string {
  const suites = reports.map(suite);
  const count = (pick: (s: SuiteCounts) => number) =>
    suites.reduce((n, s) => n + pick(s.counts), 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="crosstalk" tests="${count((c) => c.tests)}" failures="${count((c) => c.failures)}" errors="${count((c) => c.errors)}" skipped="${count((c) => c.skipped)}">`,
    ...suites.map((s) => s.xml),
    "</testsuites>",
    "",
  ].join("\n");
}

interface SuiteCounts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

function suite(report: EngineReport): { xml: string; counts: SuiteCounts } {
  const counts: SuiteCounts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  const cases: string[] = [];
  const classname = attr(`crosstalk.${report.name}`);
  if (report.failure) {
    counts.tests = 1;
    counts.errors = 1;
    cases.push(
      `    <testcase classname="${classname}" name="engine can be loaded and created">`,
      `      <error message="${attr(report.failure)}">${text(report.failure)}</error>`,
      "    </testcase>",
    );
  }
  const stale = new Set<string>(report.stale ?? []);
  for (const clause of report.clauses) {
    counts.tests += 1;
    const open = `    <testcase classname="${classname}" name="${attr(clause.id)}">`;
    const body = stale.has(clause.id) ? staleBody(clause) : caseBody(clause);
    if (body.kind === "failure") counts.failures += 1;
    if (body.kind === "skipped") counts.skipped += 1;
    cases.push(body.xml ? `${open}\n${body.xml}\n    </testcase>` : `${open}</testcase>`);
  }
  const head = `  <testsuite name="${attr(report.name)}" tests="${counts.tests}" failures="${counts.failures}" errors="${counts.errors}" skipped="${counts.skipped}">`;
  return { xml: [head, ...cases, "  </testsuite>"].join("\n"), counts };
}

function caseBody(clause: ClauseResult): { kind: "pass" | "failure" | "skipped"; xml?: string } {
  if (clause.verdict === "held") return { kind: "pass" };
  if (clause.verdict === "not-checked") {
    return {
      kind: "skipped",
      xml: `      <skipped message="${attr(`not checked: ${clause.reason ?? ""}`)}"/>`,
    };
  }
  const summary = clause.witness?.summary ?? "broken";
  const detail = [
    summary,
    clause.witness?.scenario ? `scenario: ${clause.witness.scenario}` : "",
    ...(clause.witness?.retainers ?? []).map(
      (r) => `held by: ${r.path}${r.count > 1 ? ` (×${r.count})` : ""}`,
    ),
    clause.witness?.replay ? `replay: ${clause.witness.replay}` : "",
  ]
    .filter(Boolean)
    .join("\n");
  if (clause.expected) {
    return {
      kind: "skipped",
      xml: `      <skipped message="${attr(`expected break (listed in the baseline): ${summary}`)}"/>`,
    };
  }
  return {
    kind: "failure",
    xml: `      <failure message="${attr(summary)}" type="${attr(clause.id)}">${text(detail)}</failure>`,
  };
}

function staleBody(clause: ClauseResult): { kind: "failure"; xml: string } {
  const message = `stale baseline: the baseline lists ${clause.id} as broken, but it held; remove it from engines/baseline.json`;
  return {
    kind: "failure",
    xml: `      <failure message="${attr(message)}" type="stale-baseline">${text(message)}</failure>`,
  };
}

function text(value: string): string {
  return stripInvalid(value)
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;");
}

function attr(value: string): string {
  return text(value).replaceAll('"', "&quot;").replaceAll("\n", "&#10;");
}

/** XML 1.0 forbids most control characters, even escaped; an engine's message may carry them. */
function stripInvalid(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  return value.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "\uFFFD");
}
