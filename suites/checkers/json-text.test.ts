// The checkers read each delivery's JSON text from the recorder instead of serialising it again.
// A history read back from a file has no such text: the verdicts must not depend on where the
// text came from.
import { describe, expect, it } from "vitest";
import { BUNDLED_ENGINES } from "../../engines/index.ts";
import ssot from "../../engines/ssot/index.ts";
import { checkHistory } from "../../harness/checkers/index.ts";
import { deliveryText } from "../../harness/checkers/json-text.ts";
import { CONFORMANCE_SCENARIOS } from "../../harness/conformance/catalogue.ts";
import type { ConformanceScenario } from "../../harness/conformance/types.ts";
import { frameTextOf } from "../../harness/run/frame-text.ts";
import type { History } from "../../harness/run/history.ts";
import { runScenario } from "../../harness/run/runner.ts";

const scenarios = CONFORMANCE_SCENARIOS.filter((s) =>
  s.clauses.some((id) => id.startsWith("delivery.") || id.startsWith("isolation.")),
);

const readBack = (history: History): History => JSON.parse(JSON.stringify(history)) as History;

describe("a delivery's text", () => {
  it("is the recorder's text when the history was recorded here, and none when read back", async () => {
    const history = await runScenario(ssot, (scenarios[0] as ConformanceScenario).scenario);
    const delivery = history.entries.find((entry) => entry.kind === "deliver");
    if (delivery?.kind !== "deliver") throw new Error("the scenario delivered nothing");
    expect(frameTextOf(delivery)).toBe(JSON.stringify(delivery.event));
    const copy = readBack(history).entries[delivery.index];
    if (copy?.kind !== "deliver") throw new Error("the copy lost the delivery");
    expect(frameTextOf(copy)).toBeUndefined();
    expect(deliveryText(copy)).toBe(frameTextOf(delivery));
    expect(deliveryText(delivery)).toBe(deliveryText(copy));
  });

  for (const name of Object.keys(BUNDLED_ENGINES)) {
    it(`gives ${name} the same verdicts recorded and read back from JSON`, async () => {
      const load = BUNDLED_ENGINES[name];
      if (!load) throw new Error(`no engine ${name}`);
      const { default: engine } = await load();
      let broken = 0;
      for (const { scenario, options } of scenarios) {
        const history = await runScenario(engine, scenario, options);
        const live = checkHistory(history);
        broken += live.filter((v) => v.verdict === "broken").length;
        expect(checkHistory(readBack(history)), scenario.name).toEqual(live);
      }
      // The legacy engines break delivery or isolation clauses here: the comparison has teeth.
      if (name !== "ssot") expect(broken).toBeGreaterThan(0);
    });
  }
});
