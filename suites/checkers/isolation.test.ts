import { describe, expect, it } from "vitest";
import ssot from "../../engines/ssot/index.ts";
import {
  checkIsolation,
  checkIsolationFailure,
  PAIR_KEY,
  ROLE_KEY,
} from "../../harness/checkers/isolation.ts";
import type { Verdict } from "../../harness/checkers/verdict.ts";
import { isolationScenarios } from "../../harness/conformance/scenarios/isolation.ts";
import {
  CLAUSE_IDS,
  type ClauseId,
  DEFAULT_LIMITS,
  type EngineModule,
} from "../../harness/contract/index.ts";
import type { History, HistoryEntry } from "../../harness/run/history.ts";
import { runScenario } from "../../harness/run/runner.ts";
import {
  broadcastsCompletion,
  leakyGlobalSlots,
  processWideBreaker,
  sharedAgentRuntime,
  staleErrorSlot,
  userlessResponseCache,
} from "../fixtures/delivery-isolation.ts";

const ISOLATION = CLAUSE_IDS.filter((id) => id.startsWith("isolation."));

function scenarioNamed(name: string) {
  const found = isolationScenarios.find((s) => s.scenario.name === name);
  if (!found) throw new Error(`no isolation scenario ${name}`);
  return found;
}

async function verdictOf(engine: EngineModule, scenario: string, id: ClauseId): Promise<Verdict> {
  const history = await runScenario(engine, scenarioNamed(scenario).scenario);
  const verdict = checkIsolation(history).find((v) => v.id === id);
  if (!verdict) throw new Error(`no verdict for ${id}`);
  return verdict;
}

function summaryOf(verdict: Verdict): string {
  expect(verdict.verdict).toBe("broken");
  return verdict.verdict === "broken" ? verdict.witness.summary : "";
}

describe("isolation checkers", () => {
  it("returns one verdict per isolation clause, in catalogue order", async () => {
    const history = await runScenario(
      ssot,
      scenarioNamed("isolation-same-input-two-users").scenario,
    );
    expect(checkIsolation(history).map((v) => v.id)).toEqual(ISOLATION);
  });

  describe("isolation.canary", () => {
    it("catches a result carrying another user's canary (a shared error slot)", async () => {
      const summary = summaryOf(
        await verdictOf(staleErrorSlot, "isolation-canaries-side-by-side", "isolation.canary"),
      );
      expect(summary).toContain("user u1's execute of run run-u1-fails");
      expect(summary).toContain("an error result");
      expect(summary).toContain("u2's canary");
    });

    it("catches an event carrying another user's canary", async () => {
      const summary = summaryOf(
        await verdictOf(
          broadcastsCompletion,
          "isolation-canaries-side-by-side",
          "isolation.canary",
        ),
      );
      expect(summary).toContain("user u1 received agent_completed");
      expect(summary).toContain("of run run-u3-canary on connection conn-u1");
      expect(summary).toContain("carrying u3's canary");
    });

    it("catches a cached answer carrying another user's canary", async () => {
      const summary = summaryOf(
        await verdictOf(
          userlessResponseCache,
          "isolation-same-input-two-users",
          "isolation.canary",
        ),
      );
      expect(summary).toContain("user u1's execute of run run-u1-same-later");
      expect(summary).toContain("u2's canary");
    });

    it("holds for the reference engine", async () => {
      for (const name of ["isolation-canaries-side-by-side", "isolation-same-input-two-users"]) {
        expect((await verdictOf(ssot, name, "isolation.canary")).verdict).toBe("held");
      }
    });
  });

  describe("isolation.state", () => {
    it("catches a response cache keyed by agent and input without the user", async () => {
      const summary = summaryOf(
        await verdictOf(userlessResponseCache, "isolation-same-input-two-users", "isolation.state"),
      );
      expect(summary).toContain("user u2's run run-u2-same-later");
      expect(summary).toContain("without its agent ever running for it");
      expect(summary).toContain("user u1's run run-u1-same (same agent, same input)");
    });

    it("catches another user's tool results reaching a run through shared agent state", async () => {
      const summary = summaryOf(
        await verdictOf(sharedAgentRuntime, "isolation-same-input-two-users", "isolation.state"),
      );
      expect(summary).toContain("user u1's run run-u1-same got u2's tool results");
    });

    it("holds for the reference engine", async () => {
      const verdict = await verdictOf(ssot, "isolation-same-input-two-users", "isolation.state");
      expect(verdict.verdict).toBe("held");
    });
  });

  describe("isolation.agent-instance", () => {
    it("catches one agent runtime shared and re-pointed by concurrent runs", async () => {
      const summary = summaryOf(
        await verdictOf(
          sharedAgentRuntime,
          "isolation-one-agent-many-users-same-instant",
          "isolation.agent-instance",
        ),
      );
      expect(summary).toContain(
        "agent invocation 1, started with user u1's context (run run-u1-inst)",
      );
      expect(summary).toMatch(/saw user u[23]'s context/);
    });

    it("catches an agent handed a context no execute issued, or another user's input", () => {
      const invented = checkIsolation(
        handMade([
          execute(1, "u1", "r1", { canary: "CANARY_u1u1u1u1u1u1u1u1", steps: [] }),
          runtime(1, "start", {
            userId: "u1",
            threadId: "t-u1",
            runId: "r1-made-up",
            requestId: "q-r1",
          }),
        ]),
      ).find((v) => v.id === "isolation.agent-instance") as Verdict;
      expect(summaryOf(invented)).toContain("a context no execute issued");
      const swapped = checkIsolation(
        handMade([
          execute(1, "u1", "r1", { canary: "CANARY_u1u1u1u1u1u1u1u1", steps: [] }),
          execute(2, "u2", "r2", { canary: "CANARY_u2u2u2u2u2u2u2u2", steps: [] }),
          runtime(1, "start", ctx("u1", "r1"), "CANARY_u2u2u2u2u2u2u2u2"),
        ]),
      ).find((v) => v.id === "isolation.agent-instance") as Verdict;
      expect(summaryOf(swapped)).toContain("an input carrying u2's canary instead of run r1's own");
    });

    it("holds for the reference engine", async () => {
      const verdict = await verdictOf(
        ssot,
        "isolation-one-agent-many-users-same-instant",
        "isolation.agent-instance",
      );
      expect(verdict.verdict).toBe("held");
    });
  });

  /** A control run of u1, a failing run of user bad, then u2's subject run, same script. */
  function pairedRuns(controlMs: number, subjectMs: number) {
    const meta = (pair: string, role: string) => ({ [PAIR_KEY]: pair, [ROLE_KEY]: role });
    const input = { steps: [{ think: "x" }] };
    const failedAt = controlMs + 10;
    const subjectAt = controlMs + 20;
    return handMade([
      execute(1, "u1", "ctl-1", input, meta("p", "control")),
      ret(1, { runId: "ctl-1", status: "completed", output: 1 }, controlMs),
      execute(2, "bad", "bad-1", input, {}, failedAt),
      ret(2, { runId: "bad-1", status: "error", error: { code: "x", message: "y" } }, failedAt),
      execute(3, "u2", "sub-1", input, meta("p", "subject"), subjectAt),
      ret(3, { runId: "sub-1", status: "completed", output: 1 }, subjectAt + subjectMs),
    ]);
  }

  describe("isolation.failure", () => {
    it("catches a process-wide breaker that one user's failures open for everyone", async () => {
      const summary = summaryOf(
        await verdictOf(
          processWideBreaker,
          "isolation-one-user-fails-others-unchanged",
          "isolation.failure",
        ),
      );
      expect(summary).toContain(
        "user victim's run run-victim-first-1 ended rejected (CIRCUIT_OPEN)",
      );
      expect(summary).toContain("control run run-ctl-first-1 of user ctl");
      expect(summary).toContain("ended completed after 100 ms");
      expect(summary).toContain("run-bad-throw of bad (error)");
    });

    it("catches global slots leaked by one user's failures", async () => {
      const summary = summaryOf(
        await verdictOf(
          leakyGlobalSlots,
          "isolation-one-user-fails-others-unchanged",
          "isolation.failure",
        ),
      );
      expect(summary).toContain("user victim's run run-victim-first-1 never returned");
    });

    it("catches a changed latency against the control", () => {
      const verdict = checkIsolation(pairedRuns(10, 60)).find(
        (v) => v.id === "isolation.failure",
      ) as Verdict;
      const summary = summaryOf(verdict);
      expect(summary).toContain(
        "user u2's run sub-1 ended completed after 60 ms (its latency changed)",
      );
      expect(summary).toContain("ended completed after 10 ms");
      expect(summary).toContain("bad-1 of bad (error)");
    });

    it("holds for the reference engine", async () => {
      const verdict = await verdictOf(
        ssot,
        "isolation-one-user-fails-others-unchanged",
        "isolation.failure",
      );
      expect(verdict.verdict).toBe("held");
    });

    it("over the wire, allows latencies within a tolerance and no more", () => {
      // The subject took 61 ms where its control took 60: real-time jitter, not a leak.
      const history = (subjectMs: number) => pairedRuns(60, subjectMs);
      expect(checkIsolationFailure(history(61), 0).verdict).toBe("broken");
      expect(checkIsolationFailure(history(61), 25).verdict).toBe("held");
      expect(checkIsolationFailure(history(90), 25).verdict).toBe("broken");
    });
  });

  it("the reference breaks no isolation clause and holds each scenario's own ones", async () => {
    for (const s of isolationScenarios) {
      const verdicts = checkIsolation(await runScenario(ssot, s.scenario));
      for (const v of verdicts) {
        expect({ scenario: s.scenario.name, ...v }).not.toMatchObject({ verdict: "broken" });
        if (s.clauses.includes(v.id)) {
          expect({ scenario: s.scenario.name, ...v }).toMatchObject({ verdict: "held" });
        }
      }
    }
  });

  it("never throws on garbage, and says not-checked where nothing was exercised", () => {
    const garbage = handMade([
      { kind: "deliver", connectionId: "c1", connectionUserId: "u1", event: null } as Draft,
      { kind: "runtime", invocation: "x", call: "start", context: {} } as unknown as Draft,
      { kind: "runtime", invocation: 4, call: "think", context: {} } as unknown as Draft,
      execute(1, "u1", "r1", "not an object", { [PAIR_KEY]: 5 }),
      ret(1, { runId: 3, status: {} }),
      {
        kind: "return",
        callId: 77,
        threw: { name: "E", message: "CANARY_u2u2u2u2u2u2u2u2" },
      } as Draft,
    ]);
    garbage.failure = { phase: "run", message: "cut short" };
    expect(checkIsolation(garbage).map((v) => v.id)).toEqual(ISOLATION);
    const empty = checkIsolation(handMade([]));
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

function ctx(userId: string, runId: string) {
  return { userId, threadId: `t-${userId}`, runId, requestId: `q-${runId}` };
}

function execute(
  callId: number,
  userId: string,
  runId: string,
  input: unknown,
  metadata: Record<string, unknown> = {},
  at = 0,
): Draft {
  return {
    kind: "call",
    callId,
    at,
    operation: {
      op: "execute",
      context: { ...ctx(userId, runId), metadata },
      request: { agentName: "scripted", input },
    },
  } as unknown as Draft;
}

function ret(callId: number, value: unknown, at = 0): Draft {
  return { kind: "return", callId, value, at } as unknown as Draft;
}

function runtime(
  invocation: number,
  call: string,
  context: Record<string, unknown>,
  inputCanary?: string,
): Draft {
  return {
    kind: "runtime",
    invocation,
    call,
    context,
    ...(inputCanary !== undefined ? { inputCanary } : {}),
  } as unknown as Draft;
}
