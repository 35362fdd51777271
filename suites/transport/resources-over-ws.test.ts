// cleanup.shutdown over the wire: real resources an engine leaves behind are attributed to it by
// async_hooks, as in process, while the gateway's and the clients' own sockets and timers come and
// go beside it. Counting resource types before and after cannot tell those apart.
import { setImmediate as nextMacrotask } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import ssot from "../../engines/ssot/index.ts";
import { checkHistory } from "../../harness/checkers/index.ts";
import type { Verdict } from "../../harness/checkers/verdict.ts";
import { scenariosFor } from "../../harness/conformance/catalogue.ts";
import type { EngineModule } from "../../harness/contract/index.ts";
import type { History } from "../../harness/run/history.ts";
import { EngineResourceWatch } from "../../harness/run/resources.ts";
import { runScenarioWs } from "../../harness/run/ws-runner.ts";
import { clearLeakedIntervals, realInterval } from "../fixtures/concurrency-cleanup.ts";
import { leavesResources } from "../fixtures/memory.ts";

const RUNS = 20;
const SCENARIO = "cleanup-shutdown-during-runs";

async function shutdownOverWs(
  engine: EngineModule,
  nameLeftovers = true,
): Promise<{ history: History; v: Verdict }> {
  const item = scenariosFor("ws").find((s) => s.scenario.name === SCENARIO);
  if (!item) throw new Error(`no scenario ${SCENARIO}`);
  const history = await runScenarioWs(engine, item.scenario, { seed: 7, nameLeftovers });
  const v = checkHistory(history).find((x) => x.id === "cleanup.shutdown") as Verdict;
  return { history, v };
}

afterEach(() => clearLeakedIntervals());

describe("cleanup.shutdown over WebSockets", () => {
  it(`catches an engine's leftover interval and passes the reference, ${RUNS} times each`, async () => {
    for (let run = 1; run <= RUNS; run += 1) {
      // Named on the first run only: naming a timer is a forced collection and a heap walk.
      const leaky = await shutdownOverWs(realInterval, run === 1);
      clearLeakedIntervals();
      expect(leaky.v.verdict, `run ${run}: real-interval`).toBe("broken");
      if (leaky.v.verdict === "broken") {
        expect(leaky.v.witness.summary).toContain("left real resources active: Timeout");
        if (run === 1) expect(leaky.v.witness.summary).toContain("every 60000 ms");
      }
      const reference = await shutdownOverWs(ssot);
      expect(
        reference.v,
        `run ${run}: ssot, leftovers ${JSON.stringify(reference.history.leftovers)}`,
      ).toEqual({
        id: "cleanup.shutdown",
        verdict: "held",
      });
    }
  });

  it("catches a server the engine opens after an await, though the wire's own servers are not counted", async () => {
    const { engine, cleanUp } = leavesResources();
    try {
      const { history, v } = await shutdownOverWs(engine);
      expect(history.leftovers.resources).toContain("TCPServerWrap");
      expect(v.verdict).toBe("broken");
      if (v.verdict === "broken") expect(v.witness.summary).toContain("setInterval(heartbeat");
    } finally {
      await cleanUp();
    }
  });
});

describe("EngineResourceWatch", () => {
  it("attributes what engine code and its continuations create, not the harness's own", async () => {
    const watch = new EngineResourceWatch();
    const left: NodeJS.Timeout[] = [];
    const engine = {
      async shutdown() {
        await new Promise((resolve) => setTimeout(resolve, 1));
        left.push(setInterval(() => {}, 60_000));
        const passing = setTimeout(() => {}, 60_000);
        clearTimeout(passing);
      },
    };
    const pending = watch.during(() => engine.shutdown());
    // The harness's own timer, created while the engine's work is still under way.
    const harnessTimer = setInterval(() => {}, 60_000);
    await pending;
    await nextMacrotask();
    await nextMacrotask();
    const counts = watch.stop();
    clearInterval(harnessTimer);
    for (const handle of left) clearInterval(handle);
    expect([...counts]).toEqual([["Timeout", 1]]);
  });
});
