// Engines that misbehave as a whole: the runner keeps its own deadlines, reports what broke, and
// never hangs or crashes, whatever the engine does.
import { describe, expect, it } from "vitest";
import { loadEngine } from "../../harness/adapters/load.ts";
import { checkHistory } from "../../harness/checkers/index.ts";
import { scenario } from "../../harness/conformance/build.ts";
import { checkEngine } from "../../harness/conformance/check-engine.ts";
import type { ClauseId } from "../../harness/contract/index.ts";
import { runScenario } from "../../harness/run/runner.ts";

const fixture = (name: string) => `suites/fixtures/bad-engines/${name}.ts`;

const plain = scenario("robustness")
  .attach("c1", "u1")
  .execute({ user: "u1", run: "r1", steps: [{ think: "hi" }, { tool: "search", delayMs: 10 }] })
  .build();

function verdict(history: Awaited<ReturnType<typeof runScenario>>, id: ClauseId) {
  return checkHistory(history).find((v) => v.id === id);
}

describe("engines that misbehave as a whole", () => {
  it("a factory that throws: the engine is reported failed with its message, no clause judged", async () => {
    const report = await checkEngine(await loadEngine(fixture("factory-throws")));
    expect(report.failure).toBe("engine factory threw: database not configured");
    expect(report.clauses).toEqual([]);
  });

  it("an execute that never settles: concurrency.no-deadlock is broken, the run returns", async () => {
    const history = await runScenario(await loadEngine(fixture("never-settles")), plain);
    expect(history.failure).toBeUndefined();
    const v = verdict(history, "concurrency.no-deadlock");
    expect(v?.verdict).toBe("broken");
    expect(v?.verdict === "broken" && v.witness.summary).toContain(
      "execute of run r1 (user u1) never settled",
    );
  });

  it("an attach that throws: the exception is recorded and errors.contained is broken", async () => {
    const history = await runScenario(await loadEngine(fixture("attach-throws")), plain);
    const attach = history.entries.find((e) => e.kind === "return" && e.threw);
    expect(attach?.kind === "return" && attach.threw?.message).toBe(
      "connection registry is read-only",
    );
    expect(verdict(history, "errors.contained")?.verdict).toBe("broken");
  });

  it("frames that are not events (strings, numbers, cycles, null): recorded as malformed, payload broken", async () => {
    const history = await runScenario(await loadEngine(fixture("garbage-events")), plain);
    const malformed = history.entries.filter((e) => e.kind === "deliver" && e.malformed);
    expect(malformed.length).toBeGreaterThan(0);
    expect(verdict(history, "events.payload")?.verdict).toBe("broken");
  });

  it("a million events per execute: recording stops, the engine is reported flooding", async () => {
    const history = await runScenario(await loadEngine(fixture("flood")), plain, {
      maxEntries: 50_000,
    });
    expect(history.truncated).toContain("flooded");
    expect(history.failure?.message).toContain("stopped recording after 50000 history entries");
    // Calls and returns may still be recorded; deliveries are not.
    expect(history.entries.length).toBeLessThan(50_100);
  });

  it("a flood fails the clauses its scenario was there to check, with the reason", async () => {
    const report = await checkEngine(await loadEngine(fixture("flood")), {
      scenarios: ["events-think-and-tools"],
    });
    const critical = report.clauses.find((c) => c.id === "events.critical");
    expect(critical?.verdict).toBe("broken");
    expect(report.scenarios[0]?.failure).toContain("flooded");
  });
});
