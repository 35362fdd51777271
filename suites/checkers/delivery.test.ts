import { describe, expect, it } from "vitest";
import ssot from "../../engines/ssot/index.ts";
import { checkDelivery } from "../../harness/checkers/delivery.ts";
import type { Verdict } from "../../harness/checkers/verdict.ts";
import { deliveryScenarios } from "../../harness/conformance/scenarios/delivery.ts";
import type { EngineModule } from "../../harness/contract/index.ts";
import { CLAUSE_IDS, type ClauseId, DEFAULT_LIMITS } from "../../harness/contract/index.ts";
import type { History, HistoryEntry } from "../../harness/run/history.ts";
import { runScenario } from "../../harness/run/runner.ts";
import {
  broadcastsCompletion,
  detachCancelsRuns,
  detachDropsEveryone,
  doubleSendsSecondTab,
  dropsReplay,
  firstTabOnly,
  requeuesSecondEvent,
  reversedReplay,
  unflaggedReplay,
} from "../fixtures/delivery-isolation.ts";

const DELIVERY = CLAUSE_IDS.filter((id) => id.startsWith("delivery."));

function scenarioNamed(name: string) {
  const found = deliveryScenarios.find((s) => s.scenario.name === name);
  if (!found) throw new Error(`no delivery scenario ${name}`);
  return found;
}

async function verdictOf(engine: EngineModule, scenario: string, id: ClauseId): Promise<Verdict> {
  const history = await runScenario(engine, scenarioNamed(scenario).scenario);
  const verdict = checkDelivery(history).find((v) => v.id === id);
  if (!verdict) throw new Error(`no verdict for ${id}`);
  return verdict;
}

function summaryOf(verdict: Verdict): string {
  expect(verdict.verdict).toBe("broken");
  return verdict.verdict === "broken" ? verdict.witness.summary : "";
}

describe("delivery checkers", () => {
  it("returns one verdict per delivery clause, in catalogue order", async () => {
    const history = await runScenario(ssot, scenarioNamed("delivery-two-users-at-once").scenario);
    expect(checkDelivery(history).map((v) => v.id)).toEqual(DELIVERY);
  });

  describe("delivery.owner-only", () => {
    it("catches an engine that sends one user's agent_completed to another user", async () => {
      const verdict = await verdictOf(
        broadcastsCompletion,
        "delivery-two-users-at-once",
        "delivery.owner-only",
      );
      const summary = summaryOf(verdict);
      expect(summary).toContain("user u2 received agent_completed");
      expect(summary).toContain("owned by u1");
      expect(summary).toContain("on connection conn-u2");
      expect(summary).toContain("carrying u1's canary");
      expect(verdict.verdict === "broken" && verdict.witness.entries?.length).toBeGreaterThan(0);
    });

    it("falls back to the event's userId for a run id the harness never issued", () => {
      const verdict = checkDelivery(
        handMade([
          call(1, { op: "attach", connectionId: "conn-u2", userId: "u2" }),
          deliver("conn-u2", "u2", {
            type: "agent_started",
            runId: "made-up",
            userId: "u1",
            seq: 1,
          }),
        ]),
      ).find((v) => v.id === "delivery.owner-only") as Verdict;
      const summary = summaryOf(verdict);
      expect(summary).toContain("never issued by the harness");
      expect(summary).toContain("owner u1 taken from the event's userId");
    });

    it("holds for the reference engine", async () => {
      for (const name of ["delivery-two-users-at-once", "delivery-two-tabs-and-a-late-one"]) {
        expect((await verdictOf(ssot, name, "delivery.owner-only")).verdict).toBe("held");
      }
    });
  });

  describe("delivery.fanout", () => {
    it("catches an engine that sends only to the user's first tab", async () => {
      const summary = summaryOf(
        await verdictOf(firstTabOnly, "delivery-two-tabs-and-a-late-one", "delivery.fanout"),
      );
      expect(summary).toContain("connection tab-u1-b of user u1");
      expect(summary).toContain("agent_started #1 of run run-u1-tabs");
      expect(summary).toContain("never received it (tab-u1-a did)");
    });

    it("catches an engine that sends every event twice to a second tab", async () => {
      const summary = summaryOf(
        await verdictOf(
          doubleSendsSecondTab,
          "delivery-two-tabs-and-a-late-one",
          "delivery.fanout",
        ),
      );
      expect(summary).toContain("connection tab-u1-b of user u1 received agent_started #1");
      expect(summary).toContain("2 times");
    });

    it("catches a late tab being sent an event emitted before it attached", () => {
      const verdict = checkDelivery(
        handMade([
          call(1, { op: "attach", connectionId: "tab-a", userId: "u1" }),
          execute(2, "u1", "r1"),
          deliver("tab-a", "u1", event("r1", "u1", 1)),
          call(3, { op: "attach", connectionId: "tab-b", userId: "u1" }),
          deliver("tab-b", "u1", event("r1", "u1", 1)),
        ]),
      ).find((v) => v.id === "delivery.fanout") as Verdict;
      expect(summaryOf(verdict)).toContain("tab-b of user u1 received agent_started #1 of run r1");
    });

    it("holds for the reference engine", async () => {
      for (const name of [
        "delivery-two-tabs-and-a-late-one",
        "delivery-resume-after-offline-run",
        "delivery-detach-mid-run",
      ]) {
        expect((await verdictOf(ssot, name, "delivery.fanout")).verdict).toBe("held");
      }
    });
  });

  describe("delivery.order", () => {
    it("catches a retry queue that re-appends a run's second event behind its third", async () => {
      const summary = summaryOf(
        await verdictOf(requeuesSecondEvent, "delivery-two-users-at-once", "delivery.order"),
      );
      expect(summary).toContain("connection conn-u1 of user u1");
      expect(summary).toContain("agent_thinking #2 of run run-u1-a after #3");
    });

    it("holds for the reference engine", async () => {
      for (const name of ["delivery-two-users-at-once", "delivery-resume-after-reconnect"]) {
        expect((await verdictOf(ssot, name, "delivery.order")).verdict).toBe("held");
      }
    });
  });

  describe("delivery.resume", () => {
    it("catches an engine whose buffered events are never sent", async () => {
      const summary = summaryOf(
        await verdictOf(dropsReplay, "delivery-resume-after-reconnect", "delivery.resume"),
      );
      expect(summary).toContain("user u1 attached tab-u1-new");
      expect(summary).toContain("since 60 ms");
      expect(summary).toContain("events #4, #5");
      expect(summary).toContain("of run run-u1-recon");
      expect(summary).toContain("never replayed");
    });

    it("catches buffered events sent without replayed: true", async () => {
      const summary = summaryOf(
        await verdictOf(unflaggedReplay, "delivery-resume-after-offline-run", "delivery.resume"),
      );
      expect(summary).toContain("user u1 attached tab-u1-first");
      expect(summary).toContain("agent_started #1 of run run-u1-offline");
      expect(summary).toContain("without replayed: true");
    });

    it("catches a replay out of seq order", async () => {
      const summary = summaryOf(
        await verdictOf(reversedReplay, "delivery-resume-after-offline-run", "delivery.resume"),
      );
      expect(summary).toContain("the replay to tab-u1-first of user u1");
      expect(summary).toContain("agent_thinking #13 of run run-u1-offline after #14");
    });

    it("catches a lost buffer when more than bufferPerUser events were kept", async () => {
      const summary = summaryOf(
        await verdictOf(dropsReplay, "delivery-resume-buffer-overflow", "delivery.resume"),
      );
      expect(summary).toContain("user u1 attached conn-u1 after 8 of its events");
      expect(summary).toContain("the newest 3 must be");
    });

    it("catches an event replayed on two attaches, and one sent twice to a connection", () => {
      const twoAttaches = checkDelivery(
        handMade([
          execute(1, "u1", "r1"),
          call(2, { op: "attach", connectionId: "tab-a", userId: "u1" }),
          deliver("tab-a", "u1", { ...event("r1", "u1", 1), replayed: true }),
          call(3, { op: "attach", connectionId: "tab-b", userId: "u1" }),
          deliver("tab-b", "u1", { ...event("r1", "u1", 1), replayed: true }),
        ]),
      ).find((v) => v.id === "delivery.resume") as Verdict;
      expect(summaryOf(twoAttaches)).toContain(
        "user u1 was replayed agent_started #1 of run r1 twice: on tab-a",
      );
      const twice = checkDelivery(
        handMade([
          execute(1, "u1", "r1"),
          call(2, { op: "attach", connectionId: "tab-a", userId: "u1" }),
          deliver("tab-a", "u1", { ...event("r1", "u1", 1), replayed: true }),
          deliver("tab-a", "u1", { ...event("r1", "u1", 1), replayed: true }),
        ]),
      ).find((v) => v.id === "delivery.resume") as Verdict;
      expect(summaryOf(twice)).toContain("tab-a of user u1 received agent_started #1 of run r1 2");
    });

    it("holds for the reference engine", async () => {
      for (const name of [
        "delivery-resume-after-offline-run",
        "delivery-resume-after-reconnect",
        "delivery-resume-buffer-overflow",
      ]) {
        expect((await verdictOf(ssot, name, "delivery.resume")).verdict).toBe("held");
      }
    });
  });

  describe("delivery.detach-safe", () => {
    it("catches an engine whose detach cancels the user's runs", async () => {
      const summary = summaryOf(
        await verdictOf(detachCancelsRuns, "delivery-detach-mid-run", "delivery.detach-safe"),
      );
      expect(summary).toContain("run run-u1-detach of user u1");
      expect(summary).toContain("tab-u1-origin of user u1 detached at 40 ms");
      expect(summary).toContain("ended cancelled");
    });

    it("catches an engine whose detach drops every connection", async () => {
      const summary = summaryOf(
        await verdictOf(
          detachDropsEveryone,
          "delivery-two-tabs-and-a-late-one",
          "delivery.detach-safe",
        ),
      );
      expect(summary).toContain("after connection tab-u1-a of user u1 detached at 250 ms");
      expect(summary).toContain(
        "connection tab-u2 of user u2 received nothing more of run run-u2-tabs",
      );
    });

    it("holds for the reference engine", async () => {
      for (const name of [
        "delivery-detach-mid-run",
        "delivery-two-tabs-and-a-late-one",
        "delivery-resume-after-reconnect",
      ]) {
        expect((await verdictOf(ssot, name, "delivery.detach-safe")).verdict).toBe("held");
      }
    });
  });

  it("the reference breaks no delivery clause and holds each scenario's own ones", async () => {
    for (const s of deliveryScenarios) {
      const verdicts = checkDelivery(await runScenario(ssot, s.scenario));
      for (const v of verdicts) {
        expect({ scenario: s.scenario.name, ...v }).not.toMatchObject({ verdict: "broken" });
        if (s.clauses.includes(v.id))
          expect({ scenario: s.scenario.name, ...v }).toMatchObject({ verdict: "held" });
      }
    }
  });

  it("never throws on garbage, and says not-checked where nothing was exercised", () => {
    const garbage = handMade([
      call(1, { op: "attach", connectionId: "c1", userId: "u1" }),
      execute(2, "u1", "r1"),
      deliver("c1", "u1", "not an object", "a string, not an object"),
      deliver("c1", "u1", { type: "agent_started" }),
      deliver("c1", "u1", { type: 7, runId: "r1", seq: "x" }),
      deliver("c1", "u1", { type: "agent_thinking", runId: "r1", seq: null, payload: [1, 2] }),
      deliver("c9", "u9", { type: "agent_started", runId: "r1", seq: 1, replayed: "yes" }),
      call(3, { op: "detach", connectionId: "c1" }),
      { kind: "return", callId: 99 } as unknown as HistoryEntry,
    ]);
    garbage.truncated = "cut short";
    const verdicts = checkDelivery(garbage);
    expect(verdicts.map((v) => v.id)).toEqual(DELIVERY);
    const empty = checkDelivery(handMade([]));
    expect(empty.every((v) => v.verdict === "not-checked")).toBe(true);
  });
});

// --- hand-made histories ---------------------------------------------------------------------

type Draft = Omit<HistoryEntry, "index" | "at"> & { at?: number };

function handMade(drafts: Draft[]): History {
  const entries = drafts.map((d, index) => ({ at: 0, ...d, index }) as HistoryEntry);
  return {
    engine: "hand-made",
    scenario: { name: "hand-made", users: ["u1", "u2"], ops: [] },
    limits: { ...DEFAULT_LIMITS },
    canaries: { u1: "CANARY_u1u1u1u1u1u1u1u1", u2: "CANARY_u2u2u2u2u2u2u2u2" },
    entries,
    retention: { checked: false, retained: [] },
    leftovers: { virtualTimers: 0, resources: [] },
  };
}

function call(callId: number, operation: Record<string, unknown>): Draft {
  return { kind: "call", callId, operation } as unknown as Draft;
}

function execute(callId: number, userId: string, runId: string): Draft {
  return call(callId, {
    op: "execute",
    context: { userId, threadId: `t-${userId}`, runId, requestId: `q-${runId}`, metadata: {} },
    request: { agentName: "scripted", input: { steps: [] } },
  });
}

function deliver(
  connectionId: string,
  connectionUserId: string,
  frame: unknown,
  malformed?: string,
): Draft {
  return {
    kind: "deliver",
    connectionId,
    connectionUserId,
    event: frame,
    ...(malformed ? { malformed } : {}),
  } as Draft;
}

function event(runId: string, userId: string, seq: number) {
  return {
    type: "agent_started",
    runId,
    threadId: `t-${userId}`,
    userId,
    agentName: "scripted",
    seq,
    ts: 0,
    payload: { input: null },
  };
}
