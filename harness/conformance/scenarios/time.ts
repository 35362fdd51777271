/**
 * time.timeout: runs that only the timeout can end (a hang, a long sleep, a tool that ignores its
 * abort signal), one of them queued first so that queue wait must not count; time is driven past
 * every deadline so that a timeout that fires late, or never, shows.
 */
import { scenario } from "../build.ts";
import type { ConformanceScenario } from "../types.ts";

export const timeScenarios: ConformanceScenario[] = [
  {
    scenario: scenario("timeout-after-start")
      .limits({ runTimeoutMs: 1000, perUserConcurrency: 1 })
      .attach("c1", "u1")
      .attach("c2", "u2")
      .attach("c3", "u3")
      // u1: r1 hangs and times out at 1000; r2 waits behind it, starts at 1000, times out at 2000.
      .execute({ user: "u1", run: "r1", steps: [{ hang: true }] })
      .execute({
        user: "u1",
        run: "r2",
        steps: [{ think: "queued first" }, { sleep: 5000 }, { think: "too late" }],
      })
      // u2: a long sleep (the agent must be signalled), then a tool that ignores its signal.
      .execute({ user: "u2", run: "r3", steps: [{ sleep: 5000 }, { think: "after the timeout" }] })
      .execute({
        user: "u2",
        run: "r4",
        steps: [
          { tool: "slow", args: { q: 1 }, delayMs: 3000, ignoreAbort: true },
          { think: "after the slow tool" },
        ],
      })
      // u3: finishes well within the limit.
      .execute({ user: "u3", run: "r5", steps: [{ think: "quick" }, { sleep: 500 }] })
      .at(6000)
      .stats()
      .build(),
    clauses: ["time.timeout", "concurrency.no-deadlock", "cleanup.stats"],
  },
];
