import { describe, expect, it } from "vitest";
import ssot from "../../engines/ssot/index.ts";
import { checkCancel } from "../../harness/checkers/cancel.ts";
import { checkCleanup } from "../../harness/checkers/cleanup.ts";
import { checkConcurrency } from "../../harness/checkers/concurrency.ts";
import { checkTime } from "../../harness/checkers/time.ts";
import type { Verdict } from "../../harness/checkers/verdict.ts";
import { concurrencyScenarios } from "../../harness/conformance/scenarios/concurrency.ts";
import {
  CLAUSE_IDS,
  type ClauseId,
  DEFAULT_LIMITS,
  type EngineModule,
} from "../../harness/contract/index.ts";
import type { History, HistoryEntry } from "../../harness/run/history.ts";
import { runScenario } from "../../harness/run/runner.ts";
import {
  globalFifo,
  leakyPermits,
  lifoQueue,
  lockedCleanup,
  noPerUserLimit,
  timeoutNeverSettles,
  unboundedQueue,
} from "../fixtures/concurrency-cleanup.ts";

const CONCURRENCY = CLAUSE_IDS.filter((id) => id.startsWith("concurrency."));

function scenarioNamed(name: string) {
  const found = concurrencyScenarios.find((s) => s.scenario.name === name);
  if (!found) throw new Error(`no concurrency scenario ${name}`);
  return found;
}

async function verdictOf(engine: EngineModule, scenario: string, id: ClauseId): Promise<Verdict> {
  const item = scenarioNamed(scenario);
  const history = await runScenario(engine, item.scenario, item.options ?? {});
  const verdict = checkConcurrency(history).find((v) => v.id === id);
  if (!verdict) throw new Error(`no verdict for ${id}`);
  return verdict;
}

function summaryOf(verdict: Verdict): string {
  expect(verdict.verdict).toBe("broken");
  if (verdict.verdict !== "broken") return "";
  expect(verdict.witness.entries?.length ?? 0).toBeGreaterThan(0);
  return verdict.witness.summary;
}

describe("concurrency checkers", () => {
  it("returns one verdict per concurrency clause, in catalogue order", async () => {
    const history = await runScenario(ssot, scenarioNamed("per-user-limit-fifo").scenario);
    expect(checkConcurrency(history).map((v) => v.id)).toEqual(CONCURRENCY);
  });

  it("never throws on a garbage history, and still answers every clause", () => {
    // Frames that are not objects, unknown runs, a return that is not an object, stats() that
    // returned null, a cancel with non-string ids, a runtime call with garbage context, a
    // closeUser without a user, and a history cut short.
    const entries = [
      {
        kind: "call",
        callId: 1,
        operation: {
          op: "execute",
          context: { userId: "u1", threadId: "t", runId: "r1", requestId: "q", metadata: {} },
          request: { agentName: "scripted", input: null },
        },
      },
      { kind: "deliver", connectionId: "c", connectionUserId: "u1", event: 42, malformed: "x" },
      {
        kind: "deliver",
        connectionId: "c",
        connectionUserId: "u9",
        event: { type: "agent_started", runId: "r1" },
      },
      {
        kind: "deliver",
        connectionId: "c",
        connectionUserId: "u1",
        event: { type: "agent_error", runId: "ghost" },
      },
      { kind: "return", callId: 1, value: "not an object" },
      { kind: "stats", stats: null, probe: true },
      { kind: "call", callId: 2, operation: { op: "cancel", runId: 5, byUserId: null } },
      { kind: "runtime", invocation: 1, call: "start", context: { userId: null, runId: {} } },
      { kind: "call", callId: 3, operation: { op: "closeUser" } },
    ].map((e, index) => ({ ...e, index, at: index })) as unknown as HistoryEntry[];
    const history: History = {
      engine: "garbage",
      scenario: { name: "garbage", users: ["u1"], ops: [] },
      limits: { ...DEFAULT_LIMITS },
      canaries: {},
      entries,
      retention: { checked: false, reason: "not requested", retained: [] },
      leftovers: { virtualTimers: 0, resources: [] },
      truncated: "stopped recording",
    };
    const verdicts = checkConcurrency(history);
    expect(verdicts.map((v) => v.id)).toEqual(CONCURRENCY);
    // The checkers sharing its run timelines are as robust.
    const family = (prefix: string) => CLAUSE_IDS.filter((id) => id.startsWith(prefix));
    expect(checkTime(history).map((v) => v.id)).toEqual(family("time."));
    expect(checkCancel(history).map((v) => v.id)).toEqual(family("cancel."));
    expect(checkCleanup(history).map((v) => v.id)).toEqual(family("cleanup."));
    const empty = checkConcurrency({ ...history, entries: [], truncated: undefined });
    expect(empty.map((v) => v.verdict)).toEqual(CONCURRENCY.map(() => "not-checked"));
  });

  describe("concurrency.per-user-limit", () => {
    it("catches an engine with no per-user limit: three runs of u1 active at once", async () => {
      const summary = summaryOf(
        await verdictOf(noPerUserLimit, "per-user-limit-fifo", "concurrency.per-user-limit"),
      );
      expect(summary).toContain("user u1 had 3 runs active at once (r1, r2, r3)");
      expect(summary).toContain("perUserConcurrency 2");
    });

    it("catches a queue that starts the newest waiting run first (LIFO)", async () => {
      const summary = summaryOf(
        await verdictOf(lifoQueue, "per-user-limit-fifo", "concurrency.per-user-limit"),
      );
      expect(summary).toContain("user u1's run r5 started before run r3");
      expect(summary).toContain("execute order");
    });

    it("catches a queue with no bound: r6 waits instead of being rejected QUEUE_FULL", async () => {
      const summary = summaryOf(
        await verdictOf(unboundedQueue, "per-user-limit-fifo", "concurrency.per-user-limit"),
      );
      expect(summary).toContain("user u1 had 4 runs waiting (r3, r4, r5, r6)");
      expect(summary).toContain("r6 should have been rejected QUEUE_FULL");
    });

    it("holds on the reference engine", async () => {
      expect(await verdictOf(ssot, "per-user-limit-fifo", "concurrency.per-user-limit")).toEqual({
        id: "concurrency.per-user-limit",
        verdict: "held",
      });
    });
  });

  describe("concurrency.fairness", () => {
    it("catches head-of-line blocking: u2's run waits behind u1's queue", async () => {
      const summary = summaryOf(
        await verdictOf(globalFifo, "fairness-start-at-once", "concurrency.fairness"),
      );
      expect(summary).toContain("user u2's run b1");
      expect(summary).toContain("did not start at once while u1 had runs queued (a3, a4)");
    });

    it("catches free slots handed out in arrival order instead of round-robin", async () => {
      const summary = summaryOf(
        await verdictOf(globalFifo, "fairness-round-robin", "concurrency.fairness"),
      );
      expect(summary).toContain("user u1 was given two slots (runs a3");
      expect(summary).toContain("user u2's run b1");
      expect(summary).toContain("round-robin");
    });

    it("holds on the reference engine", async () => {
      for (const name of ["fairness-start-at-once", "fairness-round-robin"]) {
        const verdict = await verdictOf(ssot, name, "concurrency.fairness");
        expect(verdict, name).toEqual({ id: "concurrency.fairness", verdict: "held" });
      }
    });
  });

  describe("concurrency.permit-release", () => {
    it("catches a semaphore released only on success (LEGACY consolidated)", async () => {
      const summary = summaryOf(
        await verdictOf(leakyPermits, "permit-release-every-path", "concurrency.permit-release"),
      );
      expect(summary).toContain("user u1's run r3 did not start at once");
      expect(summary).toContain("it never started");
      expect(summary).toContain("r1 (agent error), r2 (tool error)");
      expect(summary).toContain("never given back");
    });

    it("holds on the reference engine", async () => {
      const verdict = await verdictOf(
        ssot,
        "permit-release-every-path",
        "concurrency.permit-release",
      );
      expect(verdict).toEqual({ id: "concurrency.permit-release", verdict: "held" });
    });
  });

  describe("concurrency.no-deadlock", () => {
    it("catches an execute that never settles after its run timed out", async () => {
      const summary = summaryOf(
        await verdictOf(timeoutNeverSettles, "no-deadlock-timeout", "concurrency.no-deadlock"),
      );
      expect(summary).toContain("execute of run r1 (user u1) never settled");
    });

    it("catches closeUser during a run deadlocking on a non-reentrant lock", async () => {
      const summary = summaryOf(
        await verdictOf(lockedCleanup, "no-deadlock-cleanup-during-run", "concurrency.no-deadlock"),
      );
      expect(summary).toContain("never settled");
      expect(summary).toContain("closeUser(u1) called during run r1, r2");
      expect(summary).toContain("closeUser(u2) called during run r3, r4");
      expect(summary).toContain("while closeUser(u1) was still running");
      expect(summary).toContain("shutdown()");
    });

    it("holds on the reference engine", async () => {
      for (const name of ["no-deadlock-timeout", "no-deadlock-cleanup-during-run"]) {
        const verdict = await verdictOf(ssot, name, "concurrency.no-deadlock");
        expect(verdict, name).toEqual({ id: "concurrency.no-deadlock", verdict: "held" });
      }
    });
  });

  it("holds every concurrency clause on the reference engine in every concurrency scenario", async () => {
    for (const item of concurrencyScenarios) {
      const history = await runScenario(ssot, item.scenario, item.options ?? {});
      for (const verdict of checkConcurrency(history)) {
        expect(verdict.verdict, `${item.scenario.name}: ${JSON.stringify(verdict)}`).not.toBe(
          "broken",
        );
      }
    }
  });
});
