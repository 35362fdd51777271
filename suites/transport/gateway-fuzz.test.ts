// The reference engine's gateway, fuzzed: fast-check generates what broken and hostile clients
// send (see harness/transport/frame-arbitraries.ts) while another user's run streams. Nothing
// crashes, each frame gets the answer CONTRACT.md gives, and everyone else goes on untouched:
// every clause holds, security.* included.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import ssot from "../../engines/ssot/index.ts";
import { checkHistory } from "../../harness/checkers/index.ts";
import { scenario } from "../../harness/conformance/build.ts";
import { runScenarioWs } from "../../harness/run/ws-runner.ts";
import { type ClientMove, clientMove } from "../../harness/transport/frame-arbitraries.ts";
import {
  MALFORMED_KINDS,
  type TimedProbe,
  type WireScenario,
} from "../../harness/transport/wire-log.ts";

const SEED = Number(process.env.FUZZ_SEED ?? 20_251_126);
const RUNS = Number(process.env.FUZZ_RUNS ?? 12);

/** u2 streams a run; u1 (and strangers) send the generated moves; then u1 runs again. */
function fuzzScenario(moves: readonly ClientMove[]): WireScenario {
  const b = scenario("fuzz-gateway")
    .attach("tab-u1", "u1")
    .attach("tab-u2", "u2")
    .execute({
      user: "u2",
      run: "run-u2-bystander",
      steps: [
        { think: "working" },
        { tool: "search", delayMs: 200, result: "found" },
        { think: "done" },
      ],
    });
  const probes: TimedProbe[] = [];
  moves.forEach((move, i) => {
    const at = 10 + i;
    const socket = `socket-${i}`;
    switch (move.move) {
      case "frame":
        if (move.closes) {
          b.at(5).attach(socket, "u1");
          probes.push({ at, probe: "send", socket, ...move.probe });
        } else probes.push({ at, probe: "send", socket: "tab-u1", ...move.probe });
        return;
      case "drop":
        b.at(5).attach(socket, "u1");
        probes.push({ at, probe: "drop", socket });
        return;
      case "silent":
        probes.push({ at, probe: "connect", socket });
        return;
      case "unauthenticated":
        probes.push({ at, probe: "connect", socket });
        probes.push({ at, probe: "send", socket, ...move.probe, kind: "before-auth" });
        return;
      case "bad-token":
        probes.push({ at, probe: "connect", socket, token: { user: "u1", forge: move.forge } });
        return;
    }
  });
  b.at(100).execute({
    user: "u1",
    run: "run-u1-after",
    connection: "tab-u1",
    steps: [{ think: "still here" }],
  });
  return { ...b.build(), probes };
}

describe("the reference gateway under generated garbage", () => {
  it(`answers every frame as CONTRACT.md says and serves everyone else (seed ${SEED}, ${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(clientMove, { minLength: 1, maxLength: 12 }), async (moves) => {
        const history = await runScenarioWs(ssot, fuzzScenario(moves), { seed: SEED });
        expect(history.failure).toBeUndefined();
        const verdicts = checkHistory(history);
        const broken = verdicts.filter((v) => v.verdict === "broken");
        expect(broken, JSON.stringify(broken, null, 1)).toEqual([]);
        const ran = (kinds: string[]) => moves.some((m) => kinds.includes(m.move));
        const sent = (kinds: readonly string[]) =>
          moves.some((m) => m.move === "frame" && kinds.includes(m.probe.kind));
        const verdictOf = (id: string) => verdicts.find((v) => v.id === id)?.verdict;
        if (sent(MALFORMED_KINDS)) expect(verdictOf("security.frames")).toBe("held");
        if (sent(["impersonation"])) expect(verdictOf("security.impersonation")).toBe("held");
        if (ran(["silent", "unauthenticated", "bad-token"])) {
          expect(verdictOf("security.auth")).toBe("held");
        }
        // Everyone else went on: u2's run completed with all its events, and u1 is still served.
        const results = history.entries.filter((e) => e.kind === "return" && e.value);
        const statuses = results.map((e) =>
          e.kind === "return" ? (e.value as { runId?: string; status?: string }) : {},
        );
        expect(statuses).toContainEqual(
          expect.objectContaining({ runId: "run-u2-bystander", status: "completed" }),
        );
        expect(statuses).toContainEqual(
          expect.objectContaining({ runId: "run-u1-after", status: "completed" }),
        );
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
  });
});
