// writeReports on a real run: every reporter says the same thing about the same results.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { beforeAll, describe, expect, it } from "vitest";
import { CLAUSE_IDS } from "../../harness/contract/index.ts";
import type { ResultsDocument } from "../../reports/results.ts";
import { resultsSchema } from "../../reports/results-schema.ts";
import type { WitnessTimeline } from "../../reports/witness-timeline.ts";
import { REPORTERS, writeReports } from "../../reports/write.ts";
import { realResults, UNEXPECTED } from "./real-results.ts";

let doc: ResultsDocument;
let out: string;
let files: string[];
let consoleText = "";

beforeAll(async () => {
  doc = await realResults();
  out = mkdtempSync(path.join(tmpdir(), "crosstalk-reports-"));
  files = await writeReports(doc, {
    reporters: REPORTERS,
    out,
    write: (text) => {
      consoleText += text;
    },
  });
});

const parseJUnit = (xml: string) =>
  new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "",
    isArray: (name) => name === "testsuite" || name === "testcase",
  }).parse(xml);

describe("writeReports", () => {
  it("writes results.json, junit.xml and report.html, and prints the console report", () => {
    expect(files.map((f) => path.basename(f))).toEqual([
      "results.json",
      "junit.xml",
      "report.html",
    ]);
    expect(consoleText).toContain("ssot");
    expect(readFileSync(path.join(out, "report.html"), "utf8")).toMatch(/^<!doctype html>/);
  });

  it("refuses an unknown reporter, naming the known ones", async () => {
    await expect(
      writeReports(doc, { reporters: ["console", "pdf" as never], out, write: () => {} }),
    ).rejects.toThrow(/unknown reporter: pdf \(known: console, json, junit, html\)/);
  });

  it("results.json validates, and each broken clause carries a timeline with its violation", () => {
    const written = JSON.parse(readFileSync(path.join(out, "results.json"), "utf8"));
    const parsed = resultsSchema.safeParse(written);
    expect(parsed.error?.issues ?? []).toEqual([]);
    const legacy = written.engines[1];
    const broken = legacy.clauses.filter((c: { verdict: string }) => c.verdict === "broken");
    expect(broken.length).toBeGreaterThan(3);
    for (const clause of broken) {
      const { timeline, entries } = clause.witness as {
        timeline: WitnessTimeline;
        entries?: number[];
      };
      expect(timeline.marks.length, clause.id).toBeGreaterThan(0);
      const flagged = timeline.marks.filter((m) => m.violation).map((m) => m.index);
      expect(flagged, clause.id).toEqual([...new Set<number>(entries ?? [])].sort((a, b) => a - b));
    }
    expect(written.engines[0].stale).toEqual([UNEXPECTED]);
  });

  it("the schema holds the timeline to its shape", () => {
    const written = JSON.parse(readFileSync(path.join(out, "results.json"), "utf8"));
    const clause = written.engines[1].clauses.find((c: { id: string }) => c.id === UNEXPECTED);
    clause.witness.timeline.marks[0].kind = "teleport";
    expect(resultsSchema.safeParse(written).error?.issues[0]?.path).toEqual([
      "engines",
      1,
      "clauses",
      written.engines[1].clauses.indexOf(clause),
      "witness",
      "timeline",
      "marks",
      0,
      "kind",
    ]);
  });
});

describe("JUnit through writeReports", () => {
  it("is valid XML with one test case per engine and clause", () => {
    const xml = readFileSync(path.join(out, "junit.xml"), "utf8");
    expect(XMLValidator.validate(xml)).toBe(true);
    const suites = parseJUnit(xml).testsuites.testsuite;
    expect(suites[0].testcase).toHaveLength(CLAUSE_IDS.length);
    expect(suites[1].testcase).toHaveLength(CLAUSE_IDS.length);
    expect(suites[2].errors).toBe("1");
  });

  it("an unexpected break fails with witness and replay; expected and not-checked are skipped with reasons; a stale entry fails", () => {
    const suites = parseJUnit(readFileSync(path.join(out, "junit.xml"), "utf8")).testsuites
      .testsuite;
    const byName = (suite: { testcase: { name: string }[] }, name: string) =>
      suite.testcase.find((c) => c.name === name) as unknown as Record<
        string,
        Record<string, string>
      >;
    const legacy = suites[1];
    expect(legacy.failures).toBe("1");
    const unexpected = byName(legacy, UNEXPECTED);
    expect(unexpected.failure?.["#text"]).toContain(
      "replay: npx crosstalk run --engine legacy-global --scenario events-timeouts",
    );
    expect(unexpected.failure?.message).toMatch(/ended twice/);
    expect(byName(legacy, "concurrency.per-user-limit").skipped?.message).toMatch(
      /^expected break \(listed in the baseline\): /,
    );
    expect(byName(legacy, "security.auth").skipped?.message).toMatch(/^not checked: /);
    const stale = byName(suites[0], UNEXPECTED);
    expect(stale.failure?.type).toBe("stale-baseline");
    expect(suites[0].failures).toBe("1");
  });
});

describe("the console report", () => {
  it("has no colour codes unless told, and colours when told", async () => {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for escape codes
    const ansi = /\u001b\[/;
    expect(consoleText).not.toMatch(ansi);
    let coloured = "";
    await writeReports(doc, {
      reporters: ["console"],
      out,
      colors: true,
      write: (t) => {
        coloured += t;
      },
    });
    expect(coloured).toMatch(ansi);
  });

  it("ends with a one-screen summary: counts per engine, the unexpected break with its replay, the stale entry", () => {
    const summary = consoleText.slice(consoleText.indexOf("\nengine "));
    expect(summary.split("\n").length).toBeLessThan(25);
    const counts = (name: string) =>
      summary
        .split("\n")
        .find((l) => l.startsWith(`${name} `))
        ?.trim()
        .split(/\s+/)
        .slice(1)
        .map(Number);
    const legacy = doc.engines[1]?.clauses ?? [];
    const broken = legacy.filter((c) => c.verdict === "broken").length;
    const held = legacy.filter((c) => c.verdict === "held").length;
    expect(counts("legacy-global")).toEqual([
      held,
      broken - 1,
      1,
      CLAUSE_IDS.length - held - broken,
    ]);
    expect(summary).toContain(`✗ legacy-global ${UNEXPECTED}: `);
    expect(summary).toContain(
      "replay: npx crosstalk run --engine legacy-global --scenario events-timeouts",
    );
    expect(summary).toContain(`ssot: stale baseline (listed as broken, now held): ${UNEXPECTED}`);
    expect(summary).toContain(
      "broken-module  engine failed: engine module x.ts exports no engine factory",
    );
    // Expected breaks are counted, not listed.
    expect(summary).not.toContain("legacy-global concurrency.per-user-limit:");
  });
});
