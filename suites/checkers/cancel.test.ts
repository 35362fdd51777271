import { describe, expect, it } from "vitest";
import ssot from "../../engines/ssot/index.ts";
import { checkCancel } from "../../harness/checkers/cancel.ts";
import type { Verdict } from "../../harness/checkers/verdict.ts";
import { cancelScenarios } from "../../harness/conformance/scenarios/cancel.ts";
import { CLAUSE_IDS, type ClauseId, type EngineModule } from "../../harness/contract/index.ts";
import { runScenario } from "../../harness/run/runner.ts";
import {
  cancelAlwaysTrue,
  cancelByAnyone,
  cancelDoesNothing,
} from "../fixtures/concurrency-cleanup.ts";

const CANCEL = CLAUSE_IDS.filter((id) => id.startsWith("cancel."));

function scenarioNamed(name: string) {
  const found = cancelScenarios.find((s) => s.scenario.name === name);
  if (!found) throw new Error(`no cancel scenario ${name}`);
  return found;
}

async function verdictOf(engine: EngineModule, scenario: string, id: ClauseId): Promise<Verdict> {
  const item = scenarioNamed(scenario);
  const history = await runScenario(engine, item.scenario, item.options ?? {});
  const verdicts = checkCancel(history);
  expect(verdicts.map((v) => v.id)).toEqual(CANCEL);
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

describe("cancel checkers", () => {
  describe("cancel.owner", () => {
    it("catches a cancel that answers true and removes nothing", async () => {
      const summary = summaryOf(
        await verdictOf(cancelDoesNothing, "cancel-by-owner", "cancel.owner"),
      );
      expect(summary).toContain("user u1 cancelled their own queued run r2");
      expect(summary).toContain("agent_started #1 of run r2 was delivered to connection c1");
    });

    it("holds on the reference engine", async () => {
      expect(await verdictOf(ssot, "cancel-by-owner", "cancel.owner")).toEqual({
        id: "cancel.owner",
        verdict: "held",
      });
    });
  });

  describe("cancel.foreign", () => {
    it("catches a cancel by another user that ends the run (while answering false)", async () => {
      const summary = summaryOf(
        await verdictOf(cancelByAnyone, "cancel-by-other-user", "cancel.foreign"),
      );
      expect(summary).toContain("user u2 tried to cancel active run r1 of user u1");
      expect(summary).toContain(
        "agent_error #3 of run r1 (reason cancelled) reached connection c1",
      );
    });

    it("holds on the reference engine", async () => {
      expect(await verdictOf(ssot, "cancel-by-other-user", "cancel.foreign")).toEqual({
        id: "cancel.foreign",
        verdict: "held",
      });
    });
  });

  describe("cancel.idempotent", () => {
    it("catches a cancel that answers true for a run that already finished", async () => {
      const summary = summaryOf(
        await verdictOf(cancelAlwaysTrue, "cancel-finished-or-unknown", "cancel.idempotent"),
      );
      expect(summary).toContain("cancel(r1, u1) of run r1, already finished (completed)");
      expect(summary).toContain("returned true instead of false");
    });

    it("holds on the reference engine", async () => {
      expect(await verdictOf(ssot, "cancel-finished-or-unknown", "cancel.idempotent")).toEqual({
        id: "cancel.idempotent",
        verdict: "held",
      });
    });
  });
});
