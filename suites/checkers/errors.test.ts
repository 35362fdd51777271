/**
 * errors.*: each clause caught on a fixture engine that differs from the reference by one
 * defect, and held by the reference on the same scenario.
 */
import { describe, expect, it } from "vitest";
import ssot from "../../engines/ssot/index.ts";
import { checkErrors } from "../../harness/checkers/errors.ts";
import type { Verdict } from "../../harness/checkers/verdict.ts";
import { errorsScenarios } from "../../harness/conformance/scenarios/errors.ts";
import type { ClauseId, EngineModule } from "../../harness/contract/index.ts";
import { runScenario } from "../../harness/run/runner.ts";
import type { Scenario } from "../../harness/run/scenario.ts";
import {
  cutsInput,
  globalBreaker,
  rethrows,
  reusesLastError,
  throwsInTimer,
} from "../fixtures/ctx-events-errors.ts";

function named(name: string): Scenario {
  const found = errorsScenarios.find((s) => s.scenario.name === name);
  if (!found) throw new Error(`no errors scenario ${name}`);
  return found.scenario;
}

/** The scenario with only the executes of `runs` (attaches and other operations kept). */
function only(scenario: Scenario, runs: string[]): Scenario {
  return {
    ...scenario,
    name: `${scenario.name}-${runs.join("-")}`,
    ops: scenario.ops.filter((op) => op.op !== "execute" || runs.includes(op.context.runId)),
  };
}

async function verdictOf(engine: EngineModule, scenario: Scenario, id: ClauseId): Promise<Verdict> {
  const history = await runScenario(engine, scenario);
  const verdict = checkErrors(history).find((v) => v.id === id);
  if (!verdict) throw new Error(`checkErrors gave no verdict for ${id}`);
  return verdict;
}

function summaryOf(verdict: Verdict): string {
  expect(verdict.verdict).toBe("broken");
  return verdict.verdict === "broken" ? verdict.witness.summary : "";
}

const CONTAINED = named("errors-contained-and-still-serving");
const SANITIZED = named("errors-sanitized-messages");
const BAD = named("errors-bad-requests");

describe("errors checkers", () => {
  it("errors.contained: an agent exception re-raised out of execute is caught", async () => {
    const summary = summaryOf(await verdictOf(rethrows, CONTAINED, "errors.contained"));
    expect(summary).toContain("the execute of run run-u1-missing-tool of user u1 threw Error");
    expect(summary).toContain("to its caller");
  });

  it("errors.contained: an exception thrown in a timer callback is caught", async () => {
    const summary = summaryOf(await verdictOf(throwsInTimer, CONTAINED, "errors.contained"));
    expect(summary).toContain("(timer callback)");
    expect(summary).toContain('"cleanup of run-u1-missing-tool failed"');
  });

  it("errors.contained: an engine that stops serving everyone after failures is caught", async () => {
    const summary = summaryOf(await verdictOf(globalBreaker, CONTAINED, "errors.contained"));
    expect(summary).toContain("after run run-u2-parallel-error of user u2 failing");
    expect(summary).toContain("run run-u2-after of user u2, whose agent succeeds");
    expect(summary).toContain('"CIRCUIT_OPEN"');
  });

  it("errors.contained: the reference contains every failure and keeps serving", async () => {
    expect(await verdictOf(ssot, CONTAINED, "errors.contained")).toEqual({
      id: "errors.contained",
      verdict: "held",
    });
  });

  it("errors.sanitized: an engine that reuses the last error message leaks a canary", async () => {
    const summary = summaryOf(await verdictOf(reusesLastError, SANITIZED, "errors.sanitized"));
    expect(summary).toContain("user u2 was sent agent_error");
    expect(summary).toContain("of run run-u2-fails on connection conn-u2");
    expect(summary).toMatch(/carrying user u1's canary CANARY_[0-9a-f]{16}$/);
  });

  it("errors.sanitized: the reference's error messages carry only their user's data", async () => {
    expect((await verdictOf(ssot, SANITIZED, "errors.sanitized")).verdict).toBe("held");
  });

  it("errors.bad-request: an engine that cuts an oversize input down and runs it is caught", async () => {
    const summary = summaryOf(await verdictOf(cutsInput, BAD, "errors.bad-request"));
    expect(summary).toContain("run run-u1-oversize of user u1 has an input of");
    expect(summary).toContain("(maxInputBytes 1024)");
    expect(summary).toContain('not refused: its execute resolved "completed"');
    expect(summary).toContain("user u1 on connection conn-u1 received agent_started #1");
  });

  it("errors.bad-request: an input holding NaN (not JSON) that is run anyway is caught", async () => {
    const summary = summaryOf(
      await verdictOf(cutsInput, only(BAD, ["run-u1-nan"]), "errors.bad-request"),
    );
    expect(summary).toContain("run run-u1-nan of user u1 has an input that is not JSON");
    expect(summary).toContain("input.temperature is NaN");
  });

  it("errors.bad-request: the reference refuses unknown agents, non-JSON and oversize input", async () => {
    expect((await verdictOf(ssot, BAD, "errors.bad-request")).verdict).toBe("held");
    // Each kind on its own, too: the verdict does not hang on the first refusal.
    for (const run of [
      "run-u1-unknown-agent",
      "run-u1-oversize-bytes",
      "run-u3-negative-infinity",
    ]) {
      expect((await verdictOf(ssot, only(BAD, [run]), "errors.bad-request")).verdict, run).toBe(
        "held",
      );
    }
  });

  it("the reference breaks no errors clause on any errors scenario", async () => {
    for (const s of errorsScenarios) {
      const verdicts = checkErrors(await runScenario(ssot, s.scenario, s.options ?? {}));
      expect(verdicts.map((v) => v.id)).toEqual([
        "errors.contained",
        "errors.sanitized",
        "errors.bad-request",
      ]);
      expect(
        verdicts.filter((v) => v.verdict === "broken"),
        s.scenario.name,
      ).toEqual([]);
      for (const id of s.clauses.filter((c) => c.startsWith("errors."))) {
        expect(verdicts.find((v) => v.id === id)?.verdict, `${s.scenario.name} ${id}`).toBe("held");
      }
    }
  });
});
