/**
 * events.*: each clause caught on a fixture engine that differs from the reference by one
 * defect, and held by the reference on the same scenario.
 */
import { describe, expect, it } from "vitest";
import ssot from "../../engines/ssot/index.ts";
import { checkEvents } from "../../harness/checkers/events.ts";
import type { Verdict } from "../../harness/checkers/verdict.ts";
import { eventsScenarios } from "../../harness/conformance/scenarios/events.ts";
import type { ClauseId, EngineModule } from "../../harness/contract/index.ts";
import type { History } from "../../harness/run/history.ts";
import { runScenario } from "../../harness/run/runner.ts";
import {
  alwaysCompleted,
  dropsResult,
  lateToolEvents,
  mislabelsToolCalls,
  noToolEvents,
  skipsSeq,
  timeoutResolvesError,
} from "../fixtures/ctx-events-errors.ts";
import { rerouted } from "../fixtures/mutant.ts";

const IDS: ClauseId[] = [
  "events.grammar",
  "events.seq",
  "events.critical",
  "events.payload",
  "events.terminal",
  "events.result",
  "events.no-late",
];

function named(name: string) {
  const found = eventsScenarios.find((s) => s.scenario.name === name);
  if (!found) throw new Error(`no events scenario ${name}`);
  return found;
}

async function verdictOf(engine: EngineModule, scenario: string, id: ClauseId): Promise<Verdict> {
  const s = named(scenario);
  const history = await runScenario(engine, s.scenario, s.options ?? {});
  const verdict = checkEvents(history).find((v) => v.id === id);
  if (!verdict) throw new Error(`checkEvents gave no verdict for ${id}`);
  return verdict;
}

function summaryOf(verdict: Verdict): string {
  expect(verdict.verdict).toBe("broken");
  return verdict.verdict === "broken" ? verdict.witness.summary : "";
}

/** The reference holds `id` on every events scenario that exercises it, and breaks it on none. */
async function referenceHolds(id: ClauseId): Promise<void> {
  let held = 0;
  for (const s of eventsScenarios) {
    const verdict = await verdictOf(ssot, s.scenario.name, id);
    expect(verdict.verdict, `${s.scenario.name}: ${JSON.stringify(verdict)}`).not.toBe("broken");
    if (s.clauses.includes(id)) expect(verdict.verdict, s.scenario.name).toBe("held");
    if (verdict.verdict === "held") held += 1;
  }
  expect(held).toBeGreaterThan(0);
}

describe("events checkers", () => {
  it("events.grammar: a tool_completed that closes no open tool call is caught", async () => {
    const summary = summaryOf(
      await verdictOf(mislabelsToolCalls, "events-think-and-tools", "events.grammar"),
    );
    expect(summary).toMatch(
      /^user u1 on connection conn-u1-a received tool_completed #\d+ of run run-u1-overlap/,
    );
    expect(summary).toContain("which no open tool_executing of the run opened");
  });

  it("events.grammar: an event after the terminal is caught", async () => {
    const summary = summaryOf(await verdictOf(lateToolEvents, "events-timeouts", "events.grammar"));
    expect(summary).toContain(
      "received tool_completed #4 of run run-u1-slow-tool after the run's terminal agent_error #3",
    );
  });

  it("events.grammar: the reference's runs are well formed", async () => {
    await referenceHolds("events.grammar");
  });

  it("events.seq: a seq that skips a number is caught", async () => {
    const summary = summaryOf(await verdictOf(skipsSeq, "events-think-and-tools", "events.seq"));
    expect(summary).toContain(
      "tool_executing #4 of run run-u1-research right after agent_thinking #2",
    );
    expect(summary).toContain("seq jumps by 2");
  });

  it("events.seq: the reference numbers every run from 1 without gaps", async () => {
    await referenceHolds("events.seq");
  });

  it("events.critical: tool calls that emit no tool events are caught", async () => {
    const summary = summaryOf(
      await verdictOf(noToolEvents, "events-think-and-tools", "events.critical"),
    );
    expect(summary).toContain("run run-u1-overlap of user u1 completed");
    expect(summary).toContain('step 1 (tool "quick")');
  });

  it("events.critical: the reference emits one event per think and a pair per tool call", async () => {
    await referenceHolds("events.critical");
  });

  it("events.payload: an agent_completed without its result is caught", async () => {
    const summary = summaryOf(
      await verdictOf(dropsResult, "events-think-and-tools", "events.payload"),
    );
    expect(summary).toMatch(/received agent_completed #\d+ of run run-u2-think-only/);
    expect(summary).toContain("has result undefined, not the run's result");
  });

  it("events.payload: an agent_started carrying more than a summary of the input is caught", async () => {
    const fullInput = rerouted("full-input", (event, to, _all, send) =>
      send(
        to,
        event.type === "agent_started"
          ? { ...event, payload: { ...event.payload, input: "x".repeat(2000) } }
          : event,
      ),
    );
    const summary = summaryOf(
      await verdictOf(fullInput, "events-think-and-tools", "events.payload"),
    );
    expect(summary).toContain("has an input summary of 2002 bytes (at most 1024)");
  });

  it("events.payload: a payload over maxEventBytes is caught", async () => {
    const bloated = rerouted("bloated-thoughts", (event, to, _all, send) =>
      send(
        to,
        event.type === "agent_thinking"
          ? { ...event, payload: { ...event.payload, reasoning: "x".repeat(70_000) } }
          : event,
      ),
    );
    const summary = summaryOf(await verdictOf(bloated, "events-think-and-tools", "events.payload"));
    expect(summary).toMatch(/has a payload of 700\d\d bytes \(maxEventBytes 65536\)/);
  });

  it("events.payload: the reference's payloads are complete and fit maxEventBytes", async () => {
    await referenceHolds("events.payload");
    // The big-payload scenario really did need cutting: its tool result is 10 000 bytes.
    expect(
      (await verdictOf(ssot, "events-payloads-over-max-event-bytes", "events.payload")).verdict,
    ).toBe("held");
  });

  it("events.terminal: a failing agent reported as completed is caught", async () => {
    const summary = summaryOf(
      await verdictOf(alwaysCompleted, "events-failures-and-cancel", "events.terminal"),
    );
    expect(summary).toContain("run run-u1-missing-tool of user u1 ended with agent_completed");
    expect(summary).toContain("but its agent fails: expected agent_error error");
  });

  it("events.terminal: the reference ends every run once, with the right kind", async () => {
    await referenceHolds("events.terminal");
  });

  it("events.result: a timed-out run that resolves error is caught", async () => {
    const summary = summaryOf(
      await verdictOf(timeoutResolvesError, "events-timeouts", "events.result"),
    );
    expect(summary).toContain("the execute of run run-u1-hangs of user u1 resolved error");
    expect(summary).toContain('with reason "timeout"');
  });

  it("events.result: the reference resolves what its terminal event says", async () => {
    await referenceHolds("events.result");
  });

  it("events.no-late: a tool completion emitted after the run was cancelled is caught", async () => {
    const summary = summaryOf(
      await verdictOf(lateToolEvents, "events-no-late-after-timeout-and-cancel", "events.no-late"),
    );
    expect(summary).toContain("after agent_error #3 of run run-u2-cancel-late at 100 ms");
    expect(summary).toContain("user u2 on connection conn-u2 received tool_completed #4");
    expect(summary).toContain("at 1100 ms");
  });

  it("events.no-late: the reference emits nothing after a terminal, however late the work ends", async () => {
    await referenceHolds("events.no-late");
  });

  it("the reference breaks no events clause on any events scenario", async () => {
    for (const s of eventsScenarios) {
      const history = await runScenario(ssot, s.scenario, s.options ?? {});
      const verdicts = checkEvents(history);
      expect(verdicts.map((v) => v.id)).toEqual(IDS);
      expect(
        verdicts.filter((v) => v.verdict === "broken"),
        s.scenario.name,
      ).toEqual([]);
    }
  });

  it("never throws on a history of garbage", () => {
    const garbage = {
      engine: "garbage",
      scenario: { name: "garbage", users: ["u1"], ops: [] },
      limits: { maxEventBytes: 10 },
      canaries: {},
      entries: [
        {
          kind: "deliver",
          index: 0,
          at: 0,
          connectionId: "c",
          connectionUserId: "u1",
          event: { type: "agent_started", runId: "nobody's", seq: "x", payload: [] },
        },
        {
          kind: "deliver",
          index: 1,
          at: 0,
          connectionId: "c",
          connectionUserId: "u1",
          event: "text",
          malformed: "a string, not an object",
        },
        {
          kind: "deliver",
          index: 2,
          at: 0,
          connectionId: "c",
          connectionUserId: "u1",
          event: { runId: 5 },
        },
      ],
      retention: { checked: false, retained: [] },
      leftovers: { virtualTimers: 0, resources: [] },
      truncated: "cut short",
    } as unknown as History;
    const verdicts = checkEvents(garbage);
    expect(verdicts.map((v) => v.id)).toEqual(IDS);
    const seq = verdicts.find((v) => v.id === "events.seq");
    expect(seq?.verdict === "broken" && seq.witness.summary).toContain("no execute used the runId");
    const payload = verdicts.find((v) => v.id === "events.payload");
    expect(payload?.verdict === "broken" && payload.witness.summary).toContain(
      "has a payload that is not an object",
    );
  });
});
