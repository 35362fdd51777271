// Exploration of the legacy models, with a small budget: whatever it finds must be what the
// model is known to break (its baseline, or a documented consequence of it), and it finds some.
// The full claim (every baseline clause within 200 runs, per strategy) is `npm run bench:explore`;
// set CROSSTALK_EXPLORE_FULL=1 to check it here (slow: minutes).
import { describe, expect, it } from "vitest";
import { BUNDLED_ENGINES, REFERENCE_ENGINE } from "../../engines/index.ts";
import { readBaseline } from "../../harness/conformance/baseline.ts";
import { explore } from "../../harness/explore/explorer.ts";
import { makeTarget } from "../../harness/explore/target.ts";
import { allowedFor } from "./beyond-baseline.ts";

const FULL = process.env.CROSSTALK_EXPLORE_FULL === "1";
const RUNS = FULL ? 200 : 12;
const SEED = 1;
const legacy = Object.keys(BUNDLED_ENGINES).filter((name) => name !== REFERENCE_ENGINE);
const baseline = await readBaseline("engines/baseline.json");

describe(`exploring the legacy models (${RUNS} scenarios each, seed ${SEED})`, () => {
  for (const engine of legacy) {
    it(engine, { timeout: FULL ? 900_000 : 60_000 }, async () => {
      const expected = baseline[engine] ?? [];
      const target = await makeTarget(engine, { baseline });
      const report = await explore(target, {
        strategy: "pct",
        seed: SEED,
        runs: RUNS,
        until: new Set(expected),
        corpus: false,
        shrink: false,
      });
      const found = report.findings.map((f) => f.key);
      const allowed = allowedFor(engine, expected);
      const unexpected = report.findings.filter((f) => !allowed.has(f.key));
      expect(
        unexpected.map(
          (f) => `${f.key}: ${f.witness.summary}\n  npx crosstalk repro ${f.witness.token}`,
        ),
      ).toEqual([]);
      expect(found.filter((key) => expected.includes(key as never)).length).toBeGreaterThan(0);
      if (FULL) expect(expected.filter((key) => !found.includes(key))).toEqual([]);
    });
  }
});
