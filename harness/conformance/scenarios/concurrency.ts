/**
 * concurrency.*: per-user limit and FIFO, fairness across users, slots given back on every end
 * path, and every call settling. Small limits so that queues form after a handful of runs; every
 * user is connected, so starts and terminals are observable.
 */
import { scenario } from "../build.ts";
import type { ConformanceScenario } from "../types.ts";

const SLEEP_100 = [{ sleep: 100 }];

export const concurrencyScenarios: ConformanceScenario[] = [
  {
    // u1 asks for six runs at once with 2 slots and a queue of 3: r1 r2 start, r3 r4 r5 wait
    // and start in that order, r6 is rejected QUEUE_FULL. u2 is unaffected.
    scenario: scenario("per-user-limit-fifo")
      .limits({ perUserConcurrency: 2, maxQueuedPerUser: 3 })
      .attach("c1", "u1")
      .attach("c2", "u2")
      .execute({ user: "u1", run: "r1", steps: SLEEP_100 })
      .execute({ user: "u1", run: "r2", steps: SLEEP_100 })
      .execute({ user: "u1", run: "r3", steps: SLEEP_100 })
      .execute({ user: "u1", run: "r4", steps: SLEEP_100 })
      .execute({ user: "u1", run: "r5", steps: SLEEP_100 })
      .execute({ user: "u1", run: "r6", steps: SLEEP_100 })
      .execute({ user: "u2", run: "r7", steps: SLEEP_100 })
      .at(50)
      .stats()
      .at(150)
      .stats()
      .build(),
    clauses: ["concurrency.per-user-limit", "cleanup.stats"],
  },
  {
    // u1 fills its own two slots and queues two more; u2's run must start at once anyway.
    scenario: scenario("fairness-start-at-once")
      .limits({ perUserConcurrency: 2 })
      .attach("c1", "u1")
      .attach("c2", "u2")
      .execute({ user: "u1", run: "a1", steps: SLEEP_100 })
      .execute({ user: "u1", run: "a2", steps: SLEEP_100 })
      .execute({ user: "u1", run: "a3", steps: SLEEP_100 })
      .execute({ user: "u1", run: "a4", steps: SLEEP_100 })
      .at(10)
      .execute({ user: "u2", run: "b1", steps: [{ sleep: 10 }] })
      .build(),
    clauses: ["concurrency.fairness", "concurrency.per-user-limit"],
  },
  {
    // Two global slots, three users queueing: freed slots must rotate over u1, u2 and u3.
    scenario: scenario("fairness-round-robin")
      .limits({ globalConcurrency: 2, perUserConcurrency: 3, maxQueuedPerUser: 5 })
      .attach("c1", "u1")
      .attach("c2", "u2")
      .attach("c3", "u3")
      .execute({ user: "u1", run: "a1", steps: SLEEP_100 })
      .execute({ user: "u1", run: "a2", steps: SLEEP_100 })
      .execute({ user: "u1", run: "a3", steps: SLEEP_100 })
      .execute({ user: "u1", run: "a4", steps: SLEEP_100 })
      .execute({ user: "u1", run: "a5", steps: SLEEP_100 })
      .at(1)
      .execute({ user: "u2", run: "b1", steps: SLEEP_100 })
      .execute({ user: "u2", run: "b2", steps: SLEEP_100 })
      .at(2)
      .execute({ user: "u3", run: "c1", steps: SLEEP_100 })
      .build(),
    clauses: ["concurrency.fairness", "cleanup.stats"],
  },
  {
    // u1's runs end on every path (agent throw, tool error, timeout, cancel); afterwards u1 must
    // still be able to run perUserConcurrency (2) runs at once.
    scenario: scenario("permit-release-every-path")
      .limits({ perUserConcurrency: 2, runTimeoutMs: 1000 })
      .attach("c1", "u1")
      .execute({ user: "u1", run: "r1", steps: [{ think: "about to fail" }, { throw: "boom" }] })
      .execute({
        user: "u1",
        run: "r2",
        steps: [{ tool: "search", args: { q: "x" }, error: "tool down" }],
      })
      .at(10)
      .execute({ user: "u1", run: "r3", steps: [{ hang: true }] })
      .execute({ user: "u1", run: "r4", steps: [{ hang: true }] })
      .at(100)
      .cancel("r4", "u1")
      .at(2000)
      .execute({ user: "u1", run: "r5", steps: [{ think: "still here" }, { sleep: 10 }] })
      .execute({ user: "u1", run: "r6", steps: [{ sleep: 10 }] })
      .at(2100)
      .execute({ user: "u1", run: "r7", steps: [{ think: "and again" }] })
      .build(),
    clauses: ["concurrency.permit-release", "time.timeout", "cancel.owner"],
  },
  {
    // A run that only a timeout ends, next to one that completes; time goes on past both.
    scenario: scenario("no-deadlock-timeout")
      .limits({ runTimeoutMs: 1000 })
      .attach("c1", "u1")
      .execute({ user: "u1", run: "r1", steps: [{ hang: true }] })
      .execute({ user: "u1", run: "r2", steps: [{ sleep: 10 }] })
      .at(3000)
      .stats()
      .build(),
    clauses: ["concurrency.no-deadlock", "time.timeout"],
  },
  {
    // Cleanup during runs: closeUser while u1's runs hang, a second closeUser issued right after
    // (while the first may still be cleaning up), a cancel of a run closeUser already ended, then
    // shutdown while nothing of u1 or u2 should be left.
    scenario: scenario("no-deadlock-cleanup-during-run")
      .limits({ runTimeoutMs: 1000 })
      .attach("c1", "u1")
      .attach("c2", "u2")
      .execute({ user: "u1", run: "r1", steps: [{ hang: true }] })
      .execute({ user: "u1", run: "r2", steps: [{ sleep: 5000 }] })
      .execute({ user: "u2", run: "r3", steps: [{ hang: true }] })
      .execute({ user: "u2", run: "r4", steps: [{ hang: true }] })
      .at(10)
      .closeUser("u1")
      .closeUser("u2")
      .at(20)
      .cancel("r3", "u2")
      .at(30)
      .shutdown()
      .build(),
    clauses: ["concurrency.no-deadlock", "cleanup.shutdown", "cleanup.user"],
  },
];
