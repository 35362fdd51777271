// One contract, two transports: every bundled engine, every contract scenario, run in process
// and over real WebSockets, must get the same verdict on every clause; over the wire the
// security clauses are checked too, and the reference holds them.
import { describe, expect, it } from "vitest";
import { BUNDLED_ENGINES } from "../../engines/index.ts";
import { checkHistory } from "../../harness/checkers/index.ts";
import type { Verdict } from "../../harness/checkers/verdict.ts";
import { CONFORMANCE_SCENARIOS } from "../../harness/conformance/catalogue.ts";
import { WIRE_ONLY_CLAUSES } from "../../harness/contract/index.ts";
import { runScenario } from "../../harness/run/runner.ts";
import { runScenarioWs } from "../../harness/run/ws-runner.ts";

/** Verdict per clause, with the witness when broken: the same break, said the same way. */
function said(verdicts: Verdict[]): string[] {
  return verdicts
    .filter((v) => !WIRE_ONLY_CLAUSES.includes(v.id))
    .map((v) =>
      v.verdict === "broken" ? `${v.id}: broken: ${v.witness.summary}` : `${v.id}: ${v.verdict}`,
    );
}

describe("the same verdicts in process and over WebSockets", () => {
  for (const [name, load] of Object.entries(BUNDLED_ENGINES)) {
    it(`${name}: every contract scenario`, async () => {
      const engine = (await load()).default;
      for (const item of CONFORMANCE_SCENARIOS) {
        // Forced collection stays on; heap snapshots (only ever naming retainers) do not.
        const options = { ...item.options, retention: { maxSnapshots: 0 } };
        const inProcess = await runScenario(engine, item.scenario, options);
        const overWire = await runScenarioWs(engine, item.scenario, options);
        const wireVerdicts = checkHistory(overWire);
        expect(said(wireVerdicts), `${name}, scenario ${item.scenario.name}`).toEqual(
          said(checkHistory(inProcess)),
        );
        expect(overWire.wire?.sockets.length).toBeGreaterThan(0);
      }
    });
  }
});
