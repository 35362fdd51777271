// Checker corrections that exploration forced. On the reference: the situations it produced
// where a checker saw a break the contract does not make one. On the legacy models: witnesses
// that blamed a clause for another defect's doing; they are kept in suites/explore/corpus/ (the
// committed regression corpus, in the format `crosstalk explore --corpus` reads) and must stay
// fixed, while the defect that really caused them is still reported.
import { describe, expect, it } from "vitest";
import ssot from "../../engines/ssot/index.ts";
import { checkHistory } from "../../harness/checkers/index.ts";
import { loadCorpus } from "../../harness/explore/corpus.ts";
import { replayWitness } from "../../harness/explore/replay.ts";
import { makeTarget } from "../../harness/explore/target.ts";
import { runScenario } from "../../harness/run/runner.ts";
import { CHECKER_FIXES } from "./checker-fixes.ts";

const CORPUS = "suites/explore/corpus";

describe("on the reference, in situations only exploration produced", () => {
  for (const fix of CHECKER_FIXES) {
    it(`${fix.scenario.name}: ${fix.clauses.join(", ")} held`, async () => {
      const history = await runScenario(ssot, fix.scenario);
      const verdicts = checkHistory(history);
      for (const clause of fix.clauses) {
        expect(verdicts.find((v) => v.id === clause)).toEqual({ id: clause, verdict: "held" });
      }
      expect(verdicts.filter((v) => v.verdict === "broken")).toEqual([]);
    });
  }
});

/** The clause that really broke in each committed legacy witness. */
const REAL_CAUSE: Record<string, string> = {
  "ctx.unique-run": "events.grammar", // legacy-global's retry restarts the run by itself
  "cancel.foreign": "ctx.unique-run", // two users' runs share one runId
  "cancel.owner": "ctx.unique-run", // two runs of one user share one runId
};

describe("on the legacy models, the committed corpus", () => {
  for (const engine of ["legacy-global", "request-scoped"]) {
    it(`${engine}: the misattributed clauses stay fixed, their real cause is reported`, async () => {
      const entries = await loadCorpus(CORPUS, engine);
      expect(entries.length).toBeGreaterThan(0);
      const target = await makeTarget(engine, { baseline: false });
      for (const { witness } of entries) {
        const replay = await replayWitness(witness, target);
        expect(replay.reproduced, `${witness.clause} in ${engine}`).toBe(false);
        expect([...replay.trial.found.keys()]).toContain(REAL_CAUSE[witness.clause]);
      }
    });
  }
});
