import { describe, expect, it } from "vitest";
import ssot from "../../engines/ssot/index.ts";
import { checkTime } from "../../harness/checkers/time.ts";
import type { Verdict } from "../../harness/checkers/verdict.ts";
import { timeScenarios } from "../../harness/conformance/scenarios/time.ts";
import type { EngineModule } from "../../harness/contract/index.ts";
import { runScenario } from "../../harness/run/runner.ts";
import { lateTimeout, noTimeout } from "../fixtures/concurrency-cleanup.ts";

function scenarioNamed(name: string) {
  const found = timeScenarios.find((s) => s.scenario.name === name);
  if (!found) throw new Error(`no time scenario ${name}`);
  return found;
}

async function verdictOf(engine: EngineModule, scenario: string): Promise<Verdict> {
  const item = scenarioNamed(scenario);
  const history = await runScenario(engine, item.scenario, item.options ?? {});
  const verdicts = checkTime(history);
  expect(verdicts.map((v) => v.id)).toEqual(["time.timeout"]);
  return verdicts[0] as Verdict;
}

function summaryOf(verdict: Verdict): string {
  expect(verdict.verdict).toBe("broken");
  if (verdict.verdict !== "broken") return "";
  expect(verdict.witness.entries?.length ?? 0).toBeGreaterThan(0);
  return verdict.witness.summary;
}

describe("time checkers", () => {
  describe("time.timeout", () => {
    it("catches a timeout that fires 500 ms late", async () => {
      const summary = summaryOf(await verdictOf(lateTimeout, "timeout-after-start"));
      expect(summary).toContain("run r1 of user u1 started at 0 ms");
      expect(summary).toContain("still going at 1000 ms (runTimeoutMs 1000)");
      expect(summary).toContain("ended only at 1500 ms with agent_error #2 (reason timeout)");
    });

    it("catches an engine that never times a run out", async () => {
      const summary = summaryOf(await verdictOf(noTimeout, "timeout-after-start"));
      expect(summary).toContain("run r1 of user u1");
      expect(summary).toContain("was not timed out then");
      expect(summary).toContain("reason cancelled");
    });

    it("holds on the reference engine (queue wait not counted, agents signalled)", async () => {
      expect(await verdictOf(ssot, "timeout-after-start")).toEqual({
        id: "time.timeout",
        verdict: "held",
      });
    });
  });
});
