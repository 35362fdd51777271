// Every bundled engine, legacy models included, completes a plain run of one user with one
// connection: their defects show only under the conditions that exposed them.
import { describe, expect, it } from "vitest";
import { BUNDLED_ENGINES } from "../../engines/index.ts";
import { scenario } from "../../harness/conformance/build.ts";
import { runScenario } from "../../harness/run/runner.ts";

const plainRun = scenario("happy-path")
  .attach("tab-1", "alice")
  .execute({
    user: "alice",
    run: "run-alice-1",
    steps: [{ think: "what does alice need" }, { tool: "search", delayMs: 40, result: "found it" }],
  })
  .build();

describe("a plain single-user run completes on every bundled engine", () => {
  for (const [name, load] of Object.entries(BUNDLED_ENGINES)) {
    it(name, async () => {
      const engine = (await load()).default;
      const history = await runScenario(engine, plainRun);
      expect(history.failure).toBeUndefined();
      const executeCall = history.entries.find(
        (e) => e.kind === "call" && e.operation.op === "execute",
      );
      const result = history.entries.find(
        (e) =>
          e.kind === "return" && executeCall?.kind === "call" && e.callId === executeCall.callId,
      );
      expect(result?.kind === "return" && result.value).toMatchObject({
        runId: "run-alice-1",
        status: "completed",
        output: { steps: 2, results: [{ tool: "search", value: "found it" }] },
      });
      const received = history.entries.filter(
        (e) => e.kind === "deliver" && e.connectionId === "tab-1",
      );
      expect(received.length).toBeGreaterThan(0);
    });
  }
});
