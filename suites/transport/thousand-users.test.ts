// A thousand users at once over real WebSockets on the reference engine: every user has a tab
// (a socket; 2,000 open files in this process), sends three runs, and every clause is checked on
// the result.
import { describe, expect, it } from "vitest";
import ssot from "../../engines/ssot/index.ts";
import { checkHistory } from "../../harness/checkers/index.ts";
import { runScenarioWs } from "../../harness/run/ws-runner.ts";
import { LOAD_EVENTS_PER_RUN, loadScenario } from "../../harness/transport/load.ts";

const USERS = 1000;
const RUNS = 3;

describe(`${USERS} concurrent users over WebSockets`, () => {
  it(`each with ${RUNS} runs: every event arrives, no clause breaks`, async () => {
    const history = await runScenarioWs(ssot, loadScenario(USERS, RUNS), {
      pipeline: true,
      realDeadlineMs: 120_000,
      maxEntries: 1_000_000,
    });
    expect(history.failure).toBeUndefined();
    const delivered = history.entries.filter((e) => e.kind === "deliver").length;
    expect(delivered).toBe(USERS * RUNS * LOAD_EVENTS_PER_RUN);
    const sockets = history.wire?.sockets ?? [];
    expect(sockets).toHaveLength(USERS);
    expect(sockets.every((s) => s.authenticated && !s.cutAtEnd)).toBe(true);
    const verdicts = checkHistory(history);
    const broken = verdicts.filter((v) => v.verdict === "broken");
    expect(broken, JSON.stringify(broken, null, 1)).toEqual([]);
    const held = verdicts.filter((v) => v.verdict === "held").map((v) => v.id);
    expect(held).toEqual(
      expect.arrayContaining([
        "events.grammar",
        "events.critical",
        "delivery.owner-only",
        "delivery.fanout",
        "delivery.order",
        "isolation.canary",
        "isolation.agent-instance",
        "concurrency.per-user-limit",
        "cleanup.stats",
      ]),
    );
  });
});
