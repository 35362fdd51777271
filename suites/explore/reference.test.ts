// The reference engine under exploration, with a small budget per strategy: no clause breaks,
// and what users observe under explored schedules is what they observe under FIFO (the
// differential check of the reference against itself). The long run (10,000 scenarios) is in
// the README; it is not part of `npm test`.
import { describe, expect, it } from "vitest";
import { explore } from "../../harness/explore/explorer.ts";
import { makeTarget } from "../../harness/explore/target.ts";
import type { StrategyName } from "../../harness/schedule/strategies.ts";

const BUDGET: [StrategyName, number, number][] = [
  ["pct", 40, 5],
  ["random", 30, 6],
];

describe("exploring the reference engine", () => {
  for (const [strategy, runs, seed] of BUDGET) {
    it(`breaks nothing in ${runs} scenarios under ${strategy} (seed ${seed})`, {
      timeout: 60_000,
    }, async () => {
      const target = await makeTarget("ssot");
      const report = await explore(target, { strategy, seed, runs, corpus: false, shrink: false });
      expect(report.runs).toBe(runs);
      expect(
        report.findings.map(
          (f) => `${f.key}: ${f.witness.summary}\n  npx crosstalk repro ${f.witness.token}`,
        ),
      ).toEqual([]);
    });
  }
});
