import { afterAll, describe, expect, it } from "vitest";
import ssot from "../../engines/ssot/index.ts";
import { checkCleanup } from "../../harness/checkers/cleanup.ts";
import type { Verdict } from "../../harness/checkers/verdict.ts";
import { cleanupScenarios } from "../../harness/conformance/scenarios/cleanup.ts";
import { concurrencyScenarios } from "../../harness/conformance/scenarios/concurrency.ts";
import { CLAUSE_IDS, type ClauseId, type EngineModule } from "../../harness/contract/index.ts";
import { runScenario } from "../../harness/run/runner.ts";
import {
  clearLeakedIntervals,
  clingyConnections,
  hoarder,
  lockedCleanup,
  lyingStats,
  realInterval,
  shutdownEndsNothing,
  statsRemembersUsers,
  virtualHeartbeat,
} from "../fixtures/concurrency-cleanup.ts";

const CLEANUP = CLAUSE_IDS.filter((id) => id.startsWith("cleanup."));

function scenarioNamed(name: string) {
  const found = cleanupScenarios.find((s) => s.scenario.name === name);
  if (!found) throw new Error(`no cleanup scenario ${name}`);
  return found;
}

async function verdictOf(
  engine: EngineModule,
  scenario: string,
  id: ClauseId,
  checkRetention?: boolean,
): Promise<Verdict> {
  const item = scenarioNamed(scenario);
  const options = { ...item.options, ...(checkRetention === undefined ? {} : { checkRetention }) };
  const history = await runScenario(engine, item.scenario, options);
  const verdicts = checkCleanup(history);
  expect(verdicts.map((v) => v.id)).toEqual(CLEANUP);
  const verdict = verdicts.find((v) => v.id === id);
  if (!verdict) throw new Error(`no verdict for ${id}`);
  return verdict;
}

function summaryOf(verdict: Verdict): string {
  expect(verdict.verdict).toBe("broken");
  if (verdict.verdict !== "broken") return "";
  expect(verdict.witness.entries?.length ?? 0).toBeGreaterThan(0);
  return verdict.witness.summary;
}

describe("cleanup checkers", () => {
  afterAll(() => clearLeakedIntervals());

  describe("cleanup.run", () => {
    it("catches an engine that keeps every context in a global history", async () => {
      const summary = summaryOf(await verdictOf(hoarder, "cleanup-run-every-end", "cleanup.run"));
      expect(summary).toContain("after run r1 of user u1 ended");
      expect(summary).toContain("still held its context, request, input");
    });

    it("is not-checked, with the reason, when retention was not collected", async () => {
      const verdict = await verdictOf(hoarder, "cleanup-run-every-end", "cleanup.run", false);
      expect(verdict).toEqual({
        id: "cleanup.run",
        verdict: "not-checked",
        reason: "not requested",
      });
    });

    it("holds on the reference engine", async () => {
      expect(await verdictOf(ssot, "cleanup-run-every-end", "cleanup.run")).toEqual({
        id: "cleanup.run",
        verdict: "held",
      });
    });
  });

  describe("cleanup.user", () => {
    it("catches an engine that keeps a closed user's connections reachable", async () => {
      const summary = summaryOf(
        await verdictOf(clingyConnections, "cleanup-close-user", "cleanup.user"),
      );
      expect(summary).toContain(
        "after closeUser(u1) the engine still held a connection of user u1",
      );
    });

    it("catches stats() that still lists a closed user", async () => {
      const summary = summaryOf(
        await verdictOf(statsRemembersUsers, "cleanup-close-user", "cleanup.user"),
      );
      expect(summary).toContain("after closeUser(u1) returned at 10 ms");
      expect(summary).toContain("still showed user u1 (in users and in perUser");
    });

    it("catches a closeUser that never returns: the user's session is never released", async () => {
      const item = concurrencyScenarios.find(
        (s) => s.scenario.name === "no-deadlock-cleanup-during-run",
      );
      if (!item) throw new Error("no scenario no-deadlock-cleanup-during-run");
      const history = await runScenario(lockedCleanup, item.scenario, item.options);
      const verdict = checkCleanup(history).find((v) => v.id === "cleanup.user") as Verdict;
      expect(summaryOf(verdict)).toMatch(/^closeUser\(u\d\), called at \d+ ms, never returned/);
    });

    it("holds on the reference engine (u2 coming back after closeUser is allowed)", async () => {
      expect(await verdictOf(ssot, "cleanup-close-user", "cleanup.user")).toEqual({
        id: "cleanup.user",
        verdict: "held",
      });
    });
  });

  describe("cleanup.shutdown", () => {
    it("catches a shutdown that ends nothing: executes settle only on their timeout", async () => {
      const summary = summaryOf(
        await verdictOf(shutdownEndsNothing, "cleanup-shutdown-during-runs", "cleanup.shutdown"),
      );
      expect(summary).toContain("after shutdown() returned at 10 ms");
      expect(summary).toContain("execute of run r1 (user u1) had not settled");
    });

    it("catches a virtual heartbeat timer left after shutdown", async () => {
      const summary = summaryOf(
        await verdictOf(virtualHeartbeat, "cleanup-shutdown-during-runs", "cleanup.shutdown"),
      );
      expect(summary).toContain("1 timer(s) set by the engine on the clock were still pending");
    });

    it("catches a real setInterval left after shutdown", async () => {
      const summary = summaryOf(
        await verdictOf(realInterval, "cleanup-shutdown-during-runs", "cleanup.shutdown"),
      );
      clearLeakedIntervals();
      expect(summary).toContain("left real resources active: Timeout");
    });

    it("holds on the reference engine", async () => {
      expect(await verdictOf(ssot, "cleanup-shutdown-during-runs", "cleanup.shutdown")).toEqual({
        id: "cleanup.shutdown",
        verdict: "held",
      });
    });
  });

  describe("cleanup.stats", () => {
    it("catches stats() that counts queued runs as active", async () => {
      const summary = summaryOf(
        await verdictOf(lyingStats, "cleanup-stats-agree", "cleanup.stats"),
      );
      expect(summary).toContain("said user u1 had 4 active and 0 queued run(s)");
      expect(summary).toContain("the harness saw 2 active (r1, r2) and 2 queued (r3, r4)");
    });

    it("holds on the reference engine", async () => {
      expect(await verdictOf(ssot, "cleanup-stats-agree", "cleanup.stats")).toEqual({
        id: "cleanup.stats",
        verdict: "held",
      });
    });
  });

  it("holds every cleanup clause it checks on the reference in every cleanup scenario", async () => {
    for (const item of cleanupScenarios) {
      const history = await runScenario(ssot, item.scenario, item.options ?? {});
      for (const verdict of checkCleanup(history)) {
        expect(verdict.verdict, `${item.scenario.name}: ${JSON.stringify(verdict)}`).not.toBe(
          "broken",
        );
      }
    }
  });
});
