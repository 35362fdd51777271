// Each defect of each legacy model is caught by the clause the README names, in the scenario it
// names, with a witness that says what happened; and the baseline lists that clause.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { BUNDLED_ENGINES } from "../../engines/index.ts";
import { checkHistory } from "../../harness/checkers/index.ts";
import { parseBaseline } from "../../harness/conformance/baseline.ts";
import { findScenario } from "../../harness/conformance/catalogue.ts";
import { runScenario } from "../../harness/run/runner.ts";
import { LEGACY_DEFECTS } from "./legacy-defects.ts";

const root = path.resolve(import.meta.dirname, "../..");
const baseline = parseBaseline(readFileSync(path.join(root, "engines/baseline.json"), "utf8"));
const readme = readFileSync(path.join(root, "README.md"), "utf8");

describe("every legacy defect is caught by a clause, in the engine that has it", () => {
  for (const row of LEGACY_DEFECTS) {
    it(`${row.engine}: ${row.defect} → ${row.clause}`, async () => {
      const load = BUNDLED_ENGINES[row.engine];
      const item = findScenario(row.scenario);
      if (!load || !item)
        throw new Error(`unknown engine or scenario in row: ${JSON.stringify(row)}`);
      const history = await runScenario((await load()).default, item.scenario, item.options);
      const verdict = checkHistory(history).find((v) => v.id === row.clause);
      expect(verdict?.verdict).toBe("broken");
      expect(verdict?.verdict === "broken" ? verdict.witness.summary : "").toMatch(row.witness);
      expect(baseline[row.engine]).toContain(row.clause);
      expect(readme).toContain(`| ${row.engine} | ${row.defect} | \`${row.clause}\` |`);
    });
  }

  it("the reference engine is listed with no expected break", () => {
    expect(baseline.ssot).toEqual([]);
  });
});
