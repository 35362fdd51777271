// results.json and JUnit XML say the same as the matrix: checked on a real run of two engines.
import { readFileSync } from "node:fs";
import path from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { beforeAll, describe, expect, it } from "vitest";
import { loadEngine } from "../../harness/adapters/load.ts";
import { compareWithBaseline, parseBaseline } from "../../harness/conformance/baseline.ts";
import { checkEngine, type EngineReport } from "../../harness/conformance/check-engine.ts";
import { renderJUnit } from "../../reports/junit.ts";
import { resultsDocument } from "../../reports/results.ts";
import { resultsJsonSchema, resultsSchema } from "../../reports/results-schema.ts";

const root = path.resolve(import.meta.dirname, "../..");
let reports: EngineReport[];

beforeAll(async () => {
  const baseline = parseBaseline(readFileSync(path.join(root, "engines/baseline.json"), "utf8"));
  const scenarios = ["events-timeouts", "cleanup-run-every-end", "per-user-limit-fifo"];
  reports = [];
  for (const name of ["ssot", "legacy-global"]) {
    const report = await checkEngine(await loadEngine(name), { scenarios });
    compareWithBaseline(report, name === "ssot" ? baseline : { "legacy-global": [] });
    reports.push(report);
  }
  reports.push({
    name: "broken-module",
    failure: "engine module x.ts exports no engine factory",
    clauses: [],
    scenarios: [],
  });
});

describe("results.json", () => {
  it("validates against the schema", () => {
    const parsed = resultsSchema.safeParse(JSON.parse(JSON.stringify(resultsDocument(reports))));
    expect(parsed.error?.issues ?? []).toEqual([]);
  });

  it("the schema rejects a document that is not version 1 or names an unknown clause", () => {
    expect(resultsSchema.safeParse({ version: 2, engines: [] }).success).toBe(false);
    const bad = {
      version: 1,
      engines: [{ name: "e", clauses: [{ id: "events.nope", verdict: "held" }], scenarios: [] }],
    };
    expect(resultsSchema.safeParse(bad).success).toBe(false);
  });

  it("reports/results.schema.json is the schema as generated (run `npm run schema` after changing it)", () => {
    const committed = JSON.parse(
      readFileSync(path.join(root, "reports/results.schema.json"), "utf8"),
    );
    expect(committed).toEqual(JSON.parse(JSON.stringify(resultsJsonSchema())));
  });
});

describe("JUnit XML", () => {
  const parse = (xml: string) =>
    new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: "",
      isArray: (name) => name === "testsuite" || name === "testcase",
    }).parse(xml);

  it("is well-formed, one suite per engine, one case per clause", () => {
    const xml = renderJUnit(reports);
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = parse(xml);
    const suites = doc.testsuites.testsuite;
    expect(suites.map((s: { name: string }) => s.name)).toEqual([
      "ssot",
      "legacy-global",
      "broken-module",
    ]);
    expect(suites[0].testcase).toHaveLength(38);
    expect(suites[0].failures).toBe("0");
  });

  it("an unexpected break is a failure with witness and replay; an expected one is skipped", () => {
    const doc = parse(renderJUnit(reports));
    const legacy = doc.testsuites.testsuite[1];
    const terminal = legacy.testcase.find((c: { name: string }) => c.name === "events.terminal");
    expect(terminal.failure.message).toMatch(/ended twice: agent_error #\d+ then agent_completed/);
    expect(terminal.failure["#text"]).toContain(
      "replay: npx crosstalk run --engine legacy-global --scenario",
    );
    const expectedReport = structuredClone(reports[1] as EngineReport);
    for (const c of expectedReport.clauses) if (c.verdict === "broken") c.expected = true;
    const expected = parse(renderJUnit([expectedReport])).testsuites.testsuite[0];
    const skipped = expected.testcase.find((c: { name: string }) => c.name === "events.terminal");
    expect(skipped.skipped.message).toMatch(/^expected break \(listed in the baseline\): /);
    expect(expected.failures).toBe("0");
  });

  it("an engine that failed to load is an error; control characters in messages stay valid XML", () => {
    const weird: EngineReport = {
      name: "weird",
      failure: 'bad\u0000byte <and> "quotes" & \u001b[31m',
      clauses: [],
      scenarios: [],
    };
    const xml = renderJUnit([weird]);
    expect(XMLValidator.validate(xml)).toBe(true);
    const suite = parse(xml).testsuites.testsuite[0];
    expect(suite.errors).toBe("1");
    expect(suite.testcase[0].error.message).toContain('<and> "quotes" &');
  });
});
