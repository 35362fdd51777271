/**
 * isolation.*: users who must never see each other run side by side: the same agent at the
 * same instant, the same input, and one user failing, hanging and timing out while others work.
 */
import { PAIR_KEY, ROLE_KEY } from "../../checkers/isolation.ts";
import { CANARY_SLOT } from "../../world/canary.ts";
import type { Step } from "../../world/script.ts";
import { scenario } from "../build.ts";
import type { ConformanceScenario } from "../types.ts";

const canaries: ConformanceScenario = {
  clauses: ["isolation.canary", "delivery.owner-only"],
  scenario: scenario("isolation-canaries-side-by-side")
    .attach("conn-u1", "u1")
    .attach("conn-u2", "u2")
    .attach("conn-u3", "u3")
    .execute({
      user: "u1",
      run: "run-u1-canary",
      steps: [
        { think: "start" },
        { tool: "search", delayMs: 30, result: "u1 data" },
        {
          parallel: [
            { tool: "a", delayMs: 10 },
            { tool: "b", delayMs: 20 },
          ],
        },
      ],
    })
    // u2's run fails with its own canary as the message: only u2 may ever see it.
    .execute({
      user: "u2",
      run: "run-u2-canary",
      steps: [{ tool: "search", delayMs: 10 }, { throw: CANARY_SLOT }],
    })
    .execute({
      user: "u3",
      run: "run-u3-canary",
      steps: [{ tool: "search", delayMs: 25, result: "u3 data" }, { think: "done" }],
    })
    .at(100)
    .execute({
      user: "u1",
      run: "run-u1-fails",
      steps: [{ think: "oops" }, { throw: "u1 failed" }],
    })
    .execute({ user: "u3", run: "run-u3-again", steps: [{ tool: "lookup", delayMs: 5 }] })
    .build(),
};

/** The same input for everyone: no canary in it, so only the tool results tell users apart. */
const sharedSteps: Step[] = [
  { think: "look up the weather" },
  { tool: "weather", args: { city: "Lisbon" }, delayMs: 20, result: "sunny" },
  { think: "summarise" },
];

const sameInput: ConformanceScenario = {
  clauses: ["isolation.state", "isolation.canary"],
  scenario: scenario("isolation-same-input-two-users")
    .attach("conn-u1", "u1")
    .attach("conn-u2", "u2")
    // At the same instant...
    .execute({ user: "u1", run: "run-u1-same", steps: sharedSteps, canary: false })
    .execute({ user: "u2", run: "run-u2-same", steps: sharedSteps, canary: false })
    // ...and later, after the first answers exist (a cache would serve them now).
    .at(200)
    .execute({ user: "u2", run: "run-u2-same-later", steps: sharedSteps, canary: false })
    .at(400)
    .execute({ user: "u1", run: "run-u1-same-later", steps: sharedSteps, canary: false })
    .execute({ user: "u3", run: "run-u3-same", steps: sharedSteps, canary: false })
    .build(),
};

function interleaving(offset: number): Step[] {
  return [
    { think: "first thought" },
    { tool: "search", delayMs: 10 + offset },
    { think: "second thought" },
    {
      parallel: [
        { tool: "fetch", delayMs: 5 + offset },
        { tool: "rank", delayMs: 15 },
      ],
    },
    { sleep: 5 },
    { think: "last thought" },
    { tool: "check", delayMs: offset },
  ];
}

const agentInstance: ConformanceScenario = {
  clauses: ["isolation.agent-instance", "isolation.canary"],
  scenario: scenario("isolation-one-agent-many-users-same-instant")
    .attach("conn-u1", "u1")
    .attach("conn-u2", "u2")
    .attach("conn-u3", "u3")
    .execute({ user: "u1", run: "run-u1-inst", steps: interleaving(0) })
    .execute({ user: "u2", run: "run-u2-inst", steps: interleaving(3) })
    .execute({ user: "u3", run: "run-u3-inst", steps: interleaving(7) })
    .execute({ user: "u1", run: "run-u1-inst-2", steps: interleaving(2) })
    .execute({ user: "u2", run: "run-u2-inst-2", steps: interleaving(1) })
    .build(),
};

/**
 * isolation.failure. The control user `ctl` runs two batches before anyone fails; user `bad`
 * then throws, fails a tool, hangs ten runs until the run timeout and queues more failures
 * behind its hangs; user `victim` runs the same two batches while that happens (during the
 * first wave of hangs, and right after it timed out, during the second). Each victim run is paired with the control run of the same
 * script, and must end the same way after the same virtual duration (see isolation.ts).
 */
const batch: Step[][] = [
  [{ think: "a" }, { tool: "search", delayMs: 100, result: 1 }, { think: "b" }],
  [
    {
      parallel: [
        { tool: "x", delayMs: 30 },
        { tool: "y", delayMs: 60 },
      ],
    },
    { think: "c" },
  ],
  [{ sleep: 200 }, { think: "d" }],
  // A fourth run waits in the per-user queue behind the first three, for both users alike.
  [{ think: "e" }, { tool: "calc", delayMs: 50 }],
];

function pairMeta(pair: string, role: "control" | "subject") {
  return { [PAIR_KEY]: pair, [ROLE_KEY]: role };
}

function failureScenario() {
  const b = scenario("isolation-one-user-fails-others-unchanged").attach("conn-ctl", "ctl");
  b.attach("conn-bad", "bad").attach("conn-victim", "victim");
  const runBatch = (user: string, at: number, pairs: string, role: "control" | "subject") => {
    b.at(at);
    batch.forEach((steps, i) => {
      const pair = `${pairs}-${i + 1}`;
      b.execute({ user, run: `run-${user}-${pair}`, steps, metadata: pairMeta(pair, role) });
    });
  };
  runBatch("ctl", 0, "first", "control");
  runBatch("ctl", 600, "second", "control");
  b.at(1000)
    .execute({ user: "bad", run: "run-bad-throw", steps: [{ throw: "bad input" }] })
    .execute({ user: "bad", run: "run-bad-think-throw", steps: [{ think: "x" }, { throw: "no" }] })
    .execute({ user: "bad", run: "run-bad-tool", steps: [{ tool: "flaky", error: "tool down" }] });
  // Ten runs that never finish on their own: the per-user limit holds three at a time, so they
  // time out in waves until ~100 s. A correct engine makes the others wait for none of them.
  for (let i = 1; i <= 10; i++) {
    const steps: Step[] = i % 2 === 0 ? [{ think: "wait" }, { hang: true }] : [{ sleep: 60_000 }];
    b.execute({ user: "bad", run: `run-bad-hang-${i}`, steps });
  }
  b.at(1500).execute({ user: "bad", run: "run-bad-queued-throw", steps: [{ throw: "later" }] });
  runBatch("victim", 2000, "first", "subject");
  runBatch("victim", 26_100, "second", "subject");
  return b.build();
}

const failure: ConformanceScenario = {
  clauses: ["isolation.failure"],
  scenario: failureScenario(),
};

export const isolationScenarios: ConformanceScenario[] = [
  canaries,
  sameInput,
  agentInstance,
  failure,
];
