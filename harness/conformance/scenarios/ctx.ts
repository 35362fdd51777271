/**
 * ctx.*: contexts the engine must refuse (invalid or placeholder ids, a runId already active or
 * queued, a connection of another user) and contexts it must leave untouched. Users that send
 * refused contexts either have a connection (so anything emitted is seen) or have nothing at all
 * (so anything stats() shows of them is state left behind).
 */
import { type JsonObject, MAX_ID_LENGTH, PLACEHOLDER_IDS } from "../../contract/index.ts";
import type { ScenarioContext } from "../../run/scenario.ts";
import type { Step } from "../../world/script.ts";
import { type ScenarioBuilder, scenario } from "../build.ts";
import type { ConformanceScenario } from "../types.ts";

const FIELDS = ["userId", "threadId", "runId", "requestId", "connectionId"] as const;

/** "registry" → "ReGiStRy": placeholders must be refused whatever their case. */
function mixedCase(word: string, variant: number): string {
  if (variant % 3 === 0) return word.toUpperCase();
  if (variant % 3 === 1) return word;
  return [...word].map((ch, i) => (i % 2 === 0 ? ch.toUpperCase() : ch)).join("");
}

const quick: Step[] = [{ think: "hello" }, { tool: "lookup", delayMs: 5, result: "ok" }];

/**
 * One refused execute with `field` set to `value`. u1 sends it (u1 has a connection, so any event
 * would be seen), or u3 when `offline` (u3 has no connection and no valid run, so stats() must
 * never show u3).
 */
function invalid(
  b: ScenarioBuilder,
  n: number,
  field: (typeof FIELDS)[number],
  value: unknown,
  offline = false,
): void {
  const user = offline ? "u3" : "u1";
  const context = { [field]: value } as Partial<ScenarioContext>;
  const runId = field === "runId" ? String(value) : `run-invalid-${n}`;
  b.execute({ user, run: runId, steps: quick, context });
}

function invalidIds(): ConformanceScenario {
  const b = scenario("ctx-invalid-ids").attach("conn-u1", "u1").users("u3");
  let n = 0;
  // Empty and one character too long, in every id field.
  for (const field of FIELDS) {
    invalid(b, ++n, field, "");
    invalid(b, ++n, field, "x".repeat(MAX_ID_LENGTH + 1));
  }
  // Every placeholder word, in a rotating field and case.
  [...PLACEHOLDER_IDS].forEach((word, i) => {
    const field = FIELDS[i % FIELDS.length] as (typeof FIELDS)[number];
    invalid(b, ++n, field, mixedCase(word, i));
  });
  // Not a string at all (the history records it as it was handed).
  invalid(b, ++n, "runId", 42);
  invalid(b, ++n, "threadId", null);
  // Metadata that is not a plain JSON object: an array, and a number JSON cannot hold (NaN;
  // the history's JSON copy shows it as null, so the checker reads the scenario's own value).
  b.execute({
    user: "u1",
    run: `run-invalid-${++n}`,
    steps: quick,
    context: { metadata: ["not", "an", "object"] as unknown as JsonObject },
  });
  b.execute({
    user: "u1",
    run: `run-invalid-${++n}`,
    steps: quick,
    metadata: { score: Number.NaN },
  });
  // A user with no connection and no other run: refusals must leave no trace of them.
  b.at(10);
  invalid(b, ++n, "threadId", "Default", true);
  invalid(b, ++n, "runId", "NULL", true);
  invalid(b, ++n, "requestId", "x".repeat(MAX_ID_LENGTH + 1), true);
  invalid(b, ++n, "connectionId", "none", true);
  // Valid ids that only look like the invalid ones are not refused as invalid.
  b.at(20)
    .execute({ user: "u1", run: "r".repeat(MAX_ID_LENGTH), steps: quick })
    .execute({ user: "u1", run: "test-1", thread: "defaults", request: "Temporary", steps: quick })
    .execute({ user: "u1", run: "run-null-check", thread: "undefined-thread", steps: quick });
  return { clauses: ["ctx.valid", "events.result"], scenario: b.build() };
}

const immutable: ConformanceScenario = {
  clauses: ["ctx.immutable"],
  scenario: scenario("ctx-immutable-context-and-request")
    .limits({ runTimeoutMs: 1000 })
    .attach("conn-u1", "u1")
    .attach("conn-u2", "u2")
    .execute({
      user: "u1",
      run: "run-u1-ok",
      connection: "conn-u1",
      metadata: { trace: { tags: ["a", "b"], depth: 1 }, locale: "en" },
      steps: [
        { think: "plan" },
        { tool: "search", args: { q: "x", opts: [1, 2] }, delayMs: 10, result: { hits: 3 } },
        {
          parallel: [
            { tool: "fetch", delayMs: 5 },
            { tool: "rank", delayMs: 7 },
          ],
        },
      ],
    })
    .execute({
      user: "u1",
      run: "run-u1-throws",
      metadata: { n: 1 },
      steps: [{ think: "x" }, { throw: "boom" }],
    })
    .execute({
      user: "u2",
      run: "run-u2-tool-fails",
      steps: [{ tool: "flaky", delayMs: 5, error: "down" }],
    })
    .execute({ user: "u2", run: "run-u2-cancelled", metadata: { n: 2 }, steps: [{ sleep: 500 }] })
    .execute({ user: "u2", run: "run-u2-times-out", steps: [{ think: "wait" }, { hang: true }] })
    // Refused requests must be left alone too.
    .execute({ user: "u1", run: "run-u1-unknown-agent", agent: "no-such-agent", steps: quick })
    .at(50)
    .cancel("run-u2-cancelled", "u2")
    .build(),
};

const duplicateActive: ConformanceScenario = {
  clauses: ["ctx.unique-run"],
  scenario: scenario("ctx-unique-run-while-active")
    .attach("conn-u1", "u1")
    .attach("conn-u2", "u2")
    .execute({
      user: "u1",
      run: "run-dup",
      request: "req-dup-first",
      steps: [{ think: "first" }, { tool: "slow", delayMs: 300, result: "first" }],
    })
    // The same runId again, from the same user and from another one, while the first runs.
    .at(50)
    .execute({
      user: "u1",
      run: "run-dup",
      request: "req-dup-second",
      thread: "thread-u1-other",
      steps: [{ think: "second" }],
    })
    .at(60)
    .execute({
      user: "u2",
      run: "run-dup",
      request: "req-dup-u2",
      steps: [{ think: "someone else's id" }],
    })
    // Once the first has ended its runId may be used again.
    .at(1000)
    .execute({ user: "u1", run: "run-dup", request: "req-dup-again", steps: [{ think: "again" }] })
    .build(),
};

const duplicateQueued: ConformanceScenario = {
  clauses: ["ctx.unique-run"],
  scenario: scenario("ctx-unique-run-while-queued")
    .limits({ perUserConcurrency: 1 })
    .attach("conn-u1", "u1")
    .execute({ user: "u1", run: "run-busy", steps: [{ tool: "slow", delayMs: 300 }] })
    .execute({ user: "u1", run: "run-waiting", request: "req-waiting-first", steps: quick })
    .at(50)
    .execute({
      user: "u1",
      run: "run-waiting",
      request: "req-waiting-second",
      thread: "thread-u1-other",
      steps: [{ think: "duplicate" }],
    })
    .build(),
};

const foreignConnection: ConformanceScenario = {
  clauses: ["ctx.owner"],
  scenario: scenario("ctx-owner-foreign-connection")
    .attach("conn-u1", "u1")
    .attach("conn-u2", "u2")
    // u1 names u2's connection, and u2 names u1's: both refused, nothing sent anywhere.
    .execute({ user: "u1", run: "run-u1-foreign", connection: "conn-u2", steps: quick })
    .execute({ user: "u2", run: "run-u2-foreign", connection: "conn-u1", steps: quick })
    // Each naming their own connection runs normally.
    .at(10)
    .execute({ user: "u1", run: "run-u1-own", connection: "conn-u1", steps: quick })
    .execute({ user: "u2", run: "run-u2-own", connection: "conn-u2", steps: quick })
    .build(),
};

export const ctxScenarios: ConformanceScenario[] = [
  invalidIds(),
  immutable,
  duplicateActive,
  duplicateQueued,
  foreignConnection,
];
