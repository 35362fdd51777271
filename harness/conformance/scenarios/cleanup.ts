/**
 * cleanup.*: runs ending every way and the engine letting go of them; closeUser during a run
 * (and a user coming back after it); shutdown with runs active and queued; stats() compared with
 * what the harness saw, with queues, a timeout and a cancel.
 */
import { scenario } from "../build.ts";
import type { ConformanceScenario } from "../types.ts";

export const cleanupScenarios: ConformanceScenario[] = [
  {
    scenario: scenario("cleanup-run-every-end")
      .limits({ runTimeoutMs: 1000 })
      .attach("c1", "u1")
      .attach("c2", "u2")
      .execute({
        user: "u1",
        run: "r1",
        steps: [{ think: "plan" }, { tool: "search", args: { q: "a" }, result: { hits: 3 } }],
      })
      .execute({ user: "u1", run: "r2", steps: [{ throw: "boom" }] })
      .execute({ user: "u2", run: "r3", steps: [{ hang: true }] })
      .execute({ user: "u2", run: "r4", steps: [{ think: "long" }, { sleep: 5000 }] })
      .at(10)
      .cancel("r4", "u2")
      .at(2000)
      .stats()
      .build(),
    clauses: ["cleanup.run", "cleanup.stats"],
    options: { checkRetention: true },
  },
  {
    scenario: scenario("cleanup-close-user")
      .attach("c1", "u1")
      .attach("c2", "u1")
      .attach("c3", "u2")
      .execute({ user: "u1", run: "r1", steps: [{ think: "hanging" }, { hang: true }] })
      .execute({
        user: "u1",
        run: "r2",
        steps: [{ tool: "fetch", args: { q: "b" }, delayMs: 50 }, { sleep: 50 }],
      })
      .execute({ user: "u2", run: "r3", steps: [{ sleep: 100 }] })
      .at(10)
      .closeUser("u1")
      .stats()
      .at(200)
      .stats()
      .closeUser("u2")
      // u2 comes back: from here on the engine may hold u2's new connection.
      .at(300)
      .attach("c4", "u2")
      .stats()
      .build(),
    clauses: ["cleanup.user", "concurrency.no-deadlock"],
    options: { checkRetention: true },
  },
  {
    scenario: scenario("cleanup-shutdown-during-runs")
      .limits({ perUserConcurrency: 1, runTimeoutMs: 1000 })
      .attach("c1", "u1")
      .attach("c2", "u2")
      .execute({ user: "u1", run: "r1", steps: [{ hang: true }] })
      .execute({ user: "u1", run: "r2", steps: [{ think: "queued" }] })
      .execute({ user: "u2", run: "r3", steps: [{ tool: "slow", delayMs: 500 }] })
      .at(10)
      .shutdown()
      .at(20)
      .execute({ user: "u2", run: "r4", steps: [{ think: "too late" }] })
      .build(),
    clauses: ["cleanup.shutdown", "concurrency.no-deadlock"],
  },
  {
    scenario: scenario("cleanup-stats-agree")
      .limits({ perUserConcurrency: 2, runTimeoutMs: 1000 })
      .attach("c1", "u1")
      .attach("c2", "u2")
      .execute({ user: "u1", run: "r1", steps: [{ sleep: 100 }] })
      .execute({ user: "u1", run: "r2", steps: [{ hang: true }] })
      .execute({ user: "u1", run: "r3", steps: [{ sleep: 100 }] })
      .execute({ user: "u1", run: "r4", steps: [{ sleep: 100 }] })
      .execute({ user: "u2", run: "r5", steps: [{ sleep: 300 }] })
      .stats()
      .at(50)
      .cancel("r4", "u1")
      .stats()
      .at(150)
      .stats()
      .at(1500)
      .stats()
      .build(),
    clauses: ["cleanup.stats"],
  },
];
