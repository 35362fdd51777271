// Deterministic scheduling does not reach into sockets: over the wire a scenario is replayed by
// seed, and the quiescence rule of the ws runner must make its verdicts (and the order of what
// it records) the same every time, and the same as in process.
import { describe, expect, it } from "vitest";
import { BUNDLED_ENGINES } from "../../engines/index.ts";
import { checkHistory } from "../../harness/checkers/index.ts";
import { scenariosFor } from "../../harness/conformance/catalogue.ts";
import type { History } from "../../harness/run/history.ts";
import { runScenario } from "../../harness/run/runner.ts";
import { runScenarioWs } from "../../harness/run/ws-runner.ts";

const RUNS = 20;
/** Tabs coming and going, queues, one user's failures beside others, and garbage on the wire. */
const PICKED = [
  "delivery-resume-after-reconnect",
  "fairness-round-robin",
  "errors-contained-and-still-serving",
  "security-malformed-frames",
];

/** What must not change from run to run: verdicts, and what was recorded, in order. */
function fingerprint(history: History) {
  const verdicts = checkHistory(history).map((v) =>
    v.verdict === "broken" ? `${v.id}: broken: ${v.witness.summary}` : `${v.id}: ${v.verdict}`,
  );
  const entries = history.entries.map((e) => {
    if (e.kind === "deliver") return `deliver ${e.connectionId} ${JSON.stringify(e.event)}`;
    if (e.kind === "return") return `return ${e.callId} ${JSON.stringify(e.value ?? e.threw)}`;
    if (e.kind === "call") return `call ${e.callId} ${e.operation.op}`;
    return `${e.kind} @${e.at}`;
  });
  return { verdicts, entries };
}

describe("over WebSockets, a scenario replayed by seed gives the same verdicts every time", () => {
  const cases = [
    ...PICKED.map((name) => ["ssot", name] as const),
    // A legacy engine too: its broken verdicts (and their witnesses) are just as stable.
    ["legacy-global", "delivery-resume-after-reconnect"] as const,
    ["legacy-global", "errors-contained-and-still-serving"] as const,
  ];
  for (const [engineName, name] of cases) {
    it(`${engineName}: ${name} × ${RUNS}`, async () => {
      const engine = (await (BUNDLED_ENGINES[engineName] as () => Promise<{ default: never }>)())
        .default;
      const item = scenariosFor("ws").find((s) => s.scenario.name === name);
      if (!item) throw new Error(`no scenario ${name}`);
      const first = fingerprint(await runScenarioWs(engine, item.scenario, { seed: 7 }));
      for (let run = 2; run <= RUNS; run += 1) {
        const again = fingerprint(await runScenarioWs(engine, item.scenario, { seed: 7 }));
        expect(again.verdicts, `run ${run} of ${name} (seed 7)`).toEqual(first.verdicts);
        expect(again.entries, `run ${run} of ${name} (seed 7)`).toEqual(first.entries);
      }
      if (!name.startsWith("security")) {
        const inProcess = fingerprint(await runScenario(engine, item.scenario, { seed: 7 }));
        expect(first.verdicts.filter((v) => !v.startsWith("security."))).toEqual(
          inProcess.verdicts.filter((v) => !v.startsWith("security.")),
        );
      }
    });
  }
});
