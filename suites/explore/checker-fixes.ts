/**
 * Situations exploration of the reference engine produced that the hand-written scenarios never
 * did, on which checkers reported a break the contract does not make one. Each is the shrunk
 * witness, rewritten with the scenario builder; the reference must hold the clause in it.
 */

import { scenario } from "../../harness/conformance/build.ts";
import type { ClauseId } from "../../harness/contract/index.ts";
import type { Scenario } from "../../harness/run/scenario.ts";

export interface CheckerFix {
  why: string;
  clauses: ClauseId[];
  scenario: Scenario;
}

export const CHECKER_FIXES: CheckerFix[] = [
  {
    why:
      "u1 runs run-x offline; once it ended u2 runs its own run-x; u1's replayed events are " +
      "still u1's (deliveries were attributed to the latest execute of the runId, u2's)",
    clauses: ["delivery.owner-only", "isolation.canary"],
    scenario: scenario("runid-reused-by-another-user")
      .execute({ user: "u1", run: "run-x", steps: [{ think: "mine" }] })
      .at(50)
      .attach("c2", "u2")
      .execute({ user: "u2", run: "run-x", steps: [{ tool: "search", delayMs: 100 }] })
      .at(100)
      .attach("c1", "u1")
      .build(),
  },
  {
    why:
      "u1 runs run-x offline twice, one after the other; the replay sends both runs' events, " +
      "each run's in order (they were read as one run that started twice)",
    clauses: [
      "events.grammar",
      "events.seq",
      "events.no-late",
      "events.terminal",
      "delivery.order",
      "delivery.resume",
    ],
    scenario: scenario("runid-reused-after-it-ended")
      .execute({ user: "u1", run: "run-x", steps: [{ think: "first" }] })
      .at(50)
      .execute({ user: "u1", run: "run-x", request: "req-again", steps: [{ think: "second" }] })
      .at(100)
      .attach("c1", "u1")
      .build(),
  },
  {
    why:
      "u1 sees a run start live, goes offline while its buffer of 2 overflows, and comes back: " +
      "the replay resumes in the middle of a tool call whose tool_executing was dropped",
    clauses: ["events.grammar"],
    scenario: scenario("resume-after-overflow-mid-run")
      .limits({ bufferPerUser: 2 })
      .attach("c1", "u1")
      .execute({
        user: "u1",
        run: "r1",
        steps: [
          { tool: "search", delayMs: 100 },
          { tool: "fetch", delayMs: 100 },
          { tool: "calc", delayMs: 100 },
        ],
      })
      .at(50)
      .detach("c1")
      .at(400)
      .attach("c1b", "u1")
      .build(),
  },
  {
    why:
      "a run queued behind runs that hang is still waiting when the runner stops at its horizon; " +
      "its cancellation by the runner's closing shutdown is not a detach's doing",
    clauses: ["delivery.detach-safe"],
    scenario: scenario("queued-past-the-horizon")
      .limits({ perUserConcurrency: 1, runTimeoutMs: 1005 })
      .attach("c1", "u1")
      .attach("c2", "u2")
      .execute({ user: "u1", run: "h1", steps: [{ hang: true }] })
      .execute({ user: "u1", run: "h2", steps: [{ hang: true }] })
      .execute({ user: "u1", run: "h3", steps: [{ hang: true }] })
      .execute({ user: "u1", run: "h4", steps: [{ hang: true }] })
      .execute({ user: "u1", run: "h5", steps: [{ hang: true }] })
      .execute({ user: "u1", run: "quick", steps: [{ sleep: 10 }] })
      .at(10)
      .detach("c2")
      .build(),
  },
  {
    why:
      "u1 sees a run start, is offline while its buffer of 2 overflows, and then sees the run end " +
      "live: events were lost between two it saw, not only before the first",
    clauses: ["events.grammar"],
    scenario: scenario("offline-gap-then-live")
      .limits({ bufferPerUser: 2 })
      .execute({ user: "u1", run: "r1", steps: [{ sleep: 10 }, { tool: "search", delayMs: 100 }] })
      .at(10)
      .attach("c1", "u1")
      .detach("c1")
      .at(20)
      .execute({ user: "u1", run: "r2", steps: [{ think: "meanwhile" }] })
      .at(50)
      .attach("c2", "u1")
      .build(),
  },
  {
    why:
      "u1 cancels its run-x at once, u2 then runs its own run-x; u1's replayed events of its " +
      "cancelled run-x are u1's, though u2's run-x is in flight when they are delivered",
    clauses: ["delivery.owner-only"],
    scenario: scenario("runid-freed-by-cancel-then-reused")
      .attach("c2", "u2")
      .execute({ user: "u1", run: "run-x", steps: [{ think: "mine" }] })
      .cancel("run-x", "u1")
      .execute({ user: "u2", run: "run-x", steps: [{ hang: true }] })
      .at(50)
      .attach("c1", "u1")
      .build(),
  },
  {
    why:
      "u1's run starts while u1 is offline and its first event is dropped by an overflowing " +
      "buffer; u1 comes and goes, and the run's later events are replayed on its next return: " +
      "the dropped event was not emitted during the second absence",
    clauses: ["delivery.resume"],
    scenario: scenario("overflow-in-an-earlier-absence")
      .limits({ bufferPerUser: 2, runTimeoutMs: 1005 })
      .execute({ user: "u1", run: "r-hangs", steps: [{ hang: true }] })
      .execute({ user: "u1", run: "r-quick", steps: [{ think: "quick" }] })
      .at(500)
      .attach("c1", "u1")
      .detach("c1")
      .at(1200)
      .attach("c2", "u1")
      .build(),
  },
  {
    why:
      "two global slots free when closeUser(u1) cancels u1's runs, one of them queued; u2's two " +
      "queued runs get both slots, and u1's cancelled run, though its execute settles a moment " +
      "later, was no longer waiting for one",
    clauses: ["concurrency.fairness"],
    scenario: scenario("closed-user-is-not-waiting")
      .limits({ globalConcurrency: 2 })
      .execute({ user: "u1", run: "a1", steps: [{ think: "a" }] })
      .execute({ user: "u1", run: "a2", steps: [{ think: "a" }] })
      .execute({ user: "u1", run: "a3", steps: [{ think: "a" }] })
      .execute({ user: "u2", run: "b1", steps: [{ think: "b" }] })
      .execute({ user: "u2", run: "b2", steps: [{ think: "b" }] })
      .closeUser("u1")
      .build(),
  },
];
