/**
 * ctx.*: each clause caught on a fixture engine that differs from the reference by one defect,
 * and held by the reference on the same scenario.
 */
import { describe, expect, it } from "vitest";
import ssot from "../../engines/ssot/index.ts";
import { checkCtx } from "../../harness/checkers/ctx.ts";
import type { Verdict } from "../../harness/checkers/verdict.ts";
import { ctxScenarios } from "../../harness/conformance/scenarios/ctx.ts";
import type { ClauseId, EngineModule } from "../../harness/contract/index.ts";
import type { History } from "../../harness/run/history.ts";
import { runScenario } from "../../harness/run/runner.ts";
import {
  defaultsIds,
  ignoresConnection,
  overwritesDuplicate,
  remembersRefusedUsers,
  writesMetadata,
} from "../fixtures/ctx-events-errors.ts";

function named(name: string) {
  const found = ctxScenarios.find((s) => s.scenario.name === name);
  if (!found) throw new Error(`no ctx scenario ${name}`);
  return found;
}

async function verdictOf(engine: EngineModule, scenario: string, id: ClauseId): Promise<Verdict> {
  const s = named(scenario);
  const history = await runScenario(engine, s.scenario, s.options ?? {});
  const verdict = checkCtx(history).find((v) => v.id === id);
  if (!verdict) throw new Error(`checkCtx gave no verdict for ${id}`);
  return verdict;
}

function summaryOf(verdict: Verdict): string {
  expect(verdict.verdict).toBe("broken");
  return verdict.verdict === "broken" ? verdict.witness.summary : "";
}

describe("ctx checkers", () => {
  it("ctx.valid: an engine that defaults invalid ids instead of refusing them is caught", async () => {
    const summary = summaryOf(await verdictOf(defaultsIds, "ctx-invalid-ids", "ctx.valid"));
    // The first invalid context of the scenario: an empty userId.
    expect(summary).toContain(`user ""'s execute of run run-invalid-1`);
    expect(summary).toContain("userId is empty");
    expect(summary).toContain('was not refused: its execute resolved "completed"');
  });

  it("ctx.valid: an engine that keeps state for a refused user is caught", async () => {
    const verdict = await verdictOf(remembersRefusedUsers, "ctx-invalid-ids", "ctx.valid");
    const summary = summaryOf(verdict);
    expect(summary).toContain("was rejected, yet stats()");
    expect(summary).toContain('still lists user ""');
    expect(verdict.verdict === "broken" && verdict.witness.entries?.length).toBe(2);
  });

  it("ctx.valid: the reference refuses every invalid id and accepts the look-alikes", async () => {
    expect(await verdictOf(ssot, "ctx-invalid-ids", "ctx.valid")).toEqual({
      id: "ctx.valid",
      verdict: "held",
    });
  });

  it("ctx.immutable: an engine that writes into the context metadata is caught", async () => {
    const summary = summaryOf(
      await verdictOf(writesMetadata, "ctx-immutable-context-and-request", "ctx.immutable"),
    );
    expect(summary).toContain("changed the context it was handed");
    // The earliest execute to come back is the refused one: refused contexts must stay as
    // they were, too.
    expect(summary).toContain("user u1's execute of run run-u1-unknown-agent");
    expect(summary).toContain('resolved "rejected" ("BAD_REQUEST")');
  });

  it("ctx.immutable: the reference changes nothing it is handed", async () => {
    const verdict = await verdictOf(ssot, "ctx-immutable-context-and-request", "ctx.immutable");
    expect(verdict.verdict).toBe("held");
  });

  it("ctx.unique-run: an engine where a second execute replaces an active run is caught", async () => {
    const summary = summaryOf(
      await verdictOf(overwritesDuplicate, "ctx-unique-run-while-active", "ctx.unique-run"),
    );
    expect(summary).toContain("user u1's execute of run run-dup (request req-dup-second)");
    expect(summary).toContain("(request req-dup-first) was still active");
    expect(summary).toContain("not refused");
  });

  it("ctx.unique-run: a duplicate of a queued run accepted is caught", async () => {
    const summary = summaryOf(
      await verdictOf(overwritesDuplicate, "ctx-unique-run-while-queued", "ctx.unique-run"),
    );
    expect(summary).toContain("run-waiting (request req-waiting-second)");
    expect(summary).toContain("queued or active");
  });

  it("ctx.unique-run: the reference refuses duplicates, active or queued, and leaves the first alone", async () => {
    expect((await verdictOf(ssot, "ctx-unique-run-while-active", "ctx.unique-run")).verdict).toBe(
      "held",
    );
    expect((await verdictOf(ssot, "ctx-unique-run-while-queued", "ctx.unique-run")).verdict).toBe(
      "held",
    );
  });

  it("ctx.owner: an engine that never checks the context's connection is caught", async () => {
    const summary = summaryOf(
      await verdictOf(ignoresConnection, "ctx-owner-foreign-connection", "ctx.owner"),
    );
    expect(summary).toContain("user u1's execute of run run-u1-foreign");
    expect(summary).toContain("names connection conn-u2 of user u2");
    expect(summary).toContain("not refused");
  });

  it("ctx.owner: the reference refuses a foreign connection and runs the owner's", async () => {
    const verdict = await verdictOf(ssot, "ctx-owner-foreign-connection", "ctx.owner");
    expect(verdict.verdict).toBe("held");
  });

  it("the reference breaks no ctx clause on any ctx scenario", async () => {
    for (const s of ctxScenarios) {
      const history = await runScenario(ssot, s.scenario, s.options ?? {});
      const verdicts = checkCtx(history);
      expect(verdicts.map((v) => v.id)).toEqual([
        "ctx.valid",
        "ctx.immutable",
        "ctx.unique-run",
        "ctx.owner",
      ]);
      expect(
        verdicts.filter((v) => v.verdict === "broken"),
        s.scenario.name,
      ).toEqual([]);
      for (const id of s.clauses.filter((c) => c.startsWith("ctx."))) {
        expect(verdicts.find((v) => v.id === id)?.verdict, `${s.scenario.name} ${id}`).toBe("held");
      }
    }
  });

  it("never throws on a history of garbage, and says what it could not check", () => {
    const garbage = {
      engine: "garbage",
      scenario: { name: "garbage", users: ["u1"], ops: [] },
      limits: {},
      canaries: {},
      entries: [
        {
          kind: "call",
          index: 0,
          at: 0,
          callId: 1,
          operation: { op: "execute", context: null, request: 7 },
        },
        { kind: "return", index: 1, at: 0, callId: 1, value: "nonsense" },
        {
          kind: "deliver",
          index: 2,
          at: 0,
          connectionId: "c",
          connectionUserId: "u1",
          event: { type: 3 },
        },
        { kind: "stats", index: 3, at: 0, stats: null, probe: true },
      ],
      retention: { checked: false, retained: [] },
      leftovers: { virtualTimers: 0, resources: [] },
    } as unknown as History;
    const verdicts = checkCtx(garbage);
    expect(verdicts.map((v) => v.id)).toEqual([
      "ctx.valid",
      "ctx.immutable",
      "ctx.unique-run",
      "ctx.owner",
    ]);
  });
});
