/**
 * errors.*: agents that throw, tools that fail or do not exist, runs that time out, and the
 * runs of everyone that must still complete afterwards; error messages that carry a user's
 * canary, which no other user may ever see; requests that must be refused (unknown agent,
 * input that is not JSON or is too large).
 */

import { CANARY_SLOT } from "../../world/canary.ts";
import type { Step } from "../../world/script.ts";
import { scenario } from "../build.ts";
import type { ConformanceScenario } from "../types.ts";

const works: Step[] = [{ think: "fine" }, { tool: "lookup", delayMs: 10, result: "ok" }];

const contained: ConformanceScenario = {
  clauses: ["errors.contained", "isolation.failure", "concurrency.permit-release"],
  scenario: scenario("errors-contained-and-still-serving")
    .limits({ runTimeoutMs: 1000 })
    .attach("conn-u1", "u1")
    .attach("conn-u2", "u2")
    .attach("conn-u3", "u3")
    // u1 fails in every way there is, more times than it has slots.
    .execute({
      user: "u1",
      run: "run-u1-throws",
      steps: [{ think: "x" }, { throw: "agent exploded" }],
    })
    .execute({
      user: "u1",
      run: "run-u1-tool-error",
      steps: [{ tool: "flaky", delayMs: 5, error: "tool broke" }],
    })
    .execute({ user: "u1", run: "run-u1-missing-tool", steps: [{ tool: "missing-tool" }] })
    .execute({ user: "u1", run: "run-u1-hangs", steps: [{ hang: true }] })
    .execute({
      user: "u2",
      run: "run-u2-parallel-error",
      steps: [
        {
          parallel: [
            { tool: "ok", delayMs: 30 },
            { tool: "bad", delayMs: 5, error: "one failed" },
          ],
        },
      ],
    })
    // Everyone is still served: other users at once, and u1 itself afterwards.
    .at(100)
    .execute({ user: "u2", run: "run-u2-after", steps: works })
    .execute({ user: "u3", run: "run-u3-after", steps: works })
    .execute({ user: "u1", run: "run-u1-after-failures", steps: works })
    .execute({ user: "u1", run: "run-u1-throws-again", steps: [{ throw: "again" }] })
    .at(200)
    .execute({ user: "u1", run: "run-u1-still-served", steps: works })
    // After u1's hang has timed out.
    .at(1500)
    .execute({ user: "u1", run: "run-u1-after-timeout", steps: works })
    .execute({ user: "u2", run: "run-u2-after-timeout", steps: works })
    .build(),
};

const sanitized: ConformanceScenario = {
  clauses: ["errors.sanitized", "isolation.canary"],
  scenario: scenario("errors-sanitized-messages")
    .attach("conn-u1", "u1")
    .attach("conn-u2", "u2")
    .attach("conn-u3", "u3")
    // u1's failures carry u1's canary in their messages (the whole string is the slot).
    .execute({
      user: "u1",
      run: "run-u1-secret-throw",
      steps: [{ think: "x" }, { throw: CANARY_SLOT }],
    })
    .execute({
      user: "u1",
      run: "run-u1-secret-tool",
      steps: [{ tool: "vault", delayMs: 5, error: CANARY_SLOT }],
    })
    .execute({ user: "u1", run: "run-u1-long", steps: [{ tool: "slow", delayMs: 300 }] })
    // Then others fail: their messages must carry nothing of u1.
    .at(50)
    .execute({ user: "u2", run: "run-u2-fails", steps: [{ throw: "u2's own failure" }] })
    .execute({
      user: "u3",
      run: "run-u3-tool-fails",
      steps: [{ tool: "flaky", delayMs: 5, error: "down" }],
    })
    // Refusals that concern u1's things: a duplicate of u1's runId, u1's connection.
    .execute({ user: "u2", run: "run-u1-long", request: "req-u2-dup", steps: works })
    .execute({ user: "u3", run: "run-u3-foreign", connection: "conn-u1", steps: works })
    .at(100)
    .execute({ user: "u2", run: "run-u2-fails-again", steps: [{ tool: "missing-x" }] })
    .build(),
};

const oversize = "x".repeat(4000);
/** 600 characters but 1200 bytes: over a 1024-byte limit only when counted in bytes. */
const wide = "é".repeat(600);

/**
 * An input that is not JSON must be something the harness can hand over at all: the runner
 * structuredClones the request, so it must survive structuredClone, yet be something JSON
 * cannot carry. NaN and ±Infinity do (JSON.stringify silently turns them into null, which
 * changes the request's meaning), so they are the non-JSON inputs here. The history records
 * the request as JSON (the NaN shows as null): the checker reads the scenario's own value.
 */
const badRequests: ConformanceScenario = {
  clauses: ["errors.bad-request", "events.result"],
  scenario: scenario("errors-bad-requests")
    .limits({ maxInputBytes: 1024 })
    .attach("conn-u1", "u1")
    .users("u3")
    .execute({ user: "u1", run: "run-u1-unknown-agent", agent: "no-such-agent", steps: works })
    .execute({ user: "u1", run: "run-u1-empty-agent", agent: "", steps: works })
    .execute({ user: "u1", run: "run-u1-oversize", steps: [{ think: oversize }] })
    .execute({ user: "u1", run: "run-u1-oversize-bytes", steps: [{ think: wide }] })
    .execute({
      user: "u1",
      run: "run-u1-nan",
      input: { canary: CANARY_SLOT, steps: [{ think: "x" }], temperature: Number.NaN },
    })
    .execute({
      user: "u1",
      run: "run-u1-infinity",
      input: { steps: [{ tool: "calc", args: { x: Number.POSITIVE_INFINITY } }] },
    })
    .execute({ user: "u1", run: "run-u1-fine", steps: works })
    // u3 has no connection and no accepted run: nothing of u3 may stay in stats().
    .at(10)
    .execute({ user: "u3", run: "run-u3-unknown-agent", agent: "ghost", steps: works })
    .execute({ user: "u3", run: "run-u3-oversize", steps: [{ think: oversize }] })
    .execute({
      user: "u3",
      run: "run-u3-negative-infinity",
      input: { steps: [{ think: "x" }], weight: Number.NEGATIVE_INFINITY },
    })
    .build(),
};

export const errorsScenarios: ConformanceScenario[] = [contained, sanitized, badRequests];
