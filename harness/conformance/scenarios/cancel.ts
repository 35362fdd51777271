/**
 * cancel.*: the owner cancels an active and a queued run; another user tries the same; and
 * cancels of finished and unknown runs. perUserConcurrency 1 so that a second run queues.
 */
import { scenario } from "../build.ts";
import type { ConformanceScenario } from "../types.ts";

const HANG = [{ think: "waiting" }, { hang: true as const }];

export const cancelScenarios: ConformanceScenario[] = [
  {
    scenario: scenario("cancel-by-owner")
      .limits({ perUserConcurrency: 1 })
      .attach("c1", "u1")
      .execute({ user: "u1", run: "r1", steps: HANG })
      .execute({ user: "u1", run: "r2", steps: [{ think: "queued" }] })
      .at(10)
      .cancel("r2", "u1")
      .at(20)
      .cancel("r1", "u1")
      .at(30)
      .execute({ user: "u1", run: "r3", steps: [{ think: "after the cancels" }] })
      .build(),
    clauses: ["cancel.owner", "concurrency.permit-release"],
  },
  {
    scenario: scenario("cancel-by-other-user")
      .limits({ perUserConcurrency: 1 })
      .attach("c1", "u1")
      .attach("c2", "u2")
      .execute({ user: "u1", run: "r1", steps: [{ think: "working" }, { sleep: 100 }] })
      .execute({ user: "u1", run: "r2", steps: [{ think: "queued" }, { sleep: 10 }] })
      .at(10)
      .cancel("r1", "u2")
      .cancel("r2", "u2")
      .at(300)
      .cancel("r1", "u2")
      .build(),
    clauses: ["cancel.foreign"],
  },
  {
    scenario: scenario("cancel-finished-or-unknown")
      .attach("c1", "u1")
      .attach("c2", "u2")
      .execute({ user: "u1", run: "r1", steps: [{ think: "quick" }] })
      .execute({ user: "u1", run: "r2", steps: [{ throw: "boom" }] })
      .at(10)
      .cancel("r1", "u1")
      .cancel("r2", "u1")
      .cancel("r1", "u2")
      .cancel("no-such-run", "u1")
      .at(20)
      .cancel("r1", "u1")
      .build(),
    clauses: ["cancel.idempotent"],
  },
];
