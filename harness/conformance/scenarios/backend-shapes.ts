/**
 * Traffic shaped like the original backend's, where hand-picked ids and empty metadata hide
 * defects: contexts carrying the request's text and a cache key, run ids of the form
 * `thread_<t>_run_<n>`, one request id shared by the runs of a pipeline, and a run id that a
 * second user reuses while the first run is still going.
 */
import type { Step } from "../../world/script.ts";
import { scenario } from "../build.ts";
import type { ConformanceScenario } from "../types.ts";

const lookup: Step[] = [
  { think: "what is being asked" },
  { tool: "search", delayMs: 20, result: "three invoices" },
];

const requestMetadata: ConformanceScenario = {
  clauses: ["ctx.immutable", "events.critical", "events.result", "cleanup.run"],
  options: { checkRetention: true },
  scenario: scenario("shapes-request-metadata")
    .attach("conn-u1", "u1")
    .attach("conn-u2", "u2")
    .execute({
      user: "u1",
      run: "run-u1-invoices",
      steps: lookup,
      metadata: {
        current_request: "use search tool to query database for my invoices",
        cache_key: "invoices-summary",
        client: { tab: 1, locale: "en-GB" },
      },
    })
    .at(100)
    .execute({
      user: "u2",
      run: "run-u2-invoices",
      steps: lookup,
      metadata: {
        current_request: "use search tool to query database for my invoices",
        cache_key: "invoices-summary",
      },
    })
    .build(),
};

const pipelineRequest: ConformanceScenario = {
  clauses: ["events.grammar", "events.seq", "isolation.canary", "delivery.owner-only"],
  scenario: scenario("shapes-one-request-two-runs")
    .attach("conn-u1", "u1")
    .attach("conn-u2", "u2")
    // A pipeline: two agents' runs answering one request of u1, the second starting mid-way.
    .execute({
      user: "u1",
      run: "run-u1-plan",
      request: "req-u1-pipeline",
      steps: [{ think: "plan" }, { tool: "search", delayMs: 100, result: "plan" }],
    })
    .at(10)
    .execute({
      user: "u1",
      run: "run-u1-act",
      request: "req-u1-pipeline",
      steps: [{ think: "act" }, { tool: "search", delayMs: 20, result: "act" }],
    })
    // Request ids are made by clients: another user's client can pick the same one.
    .at(500)
    .execute({
      user: "u1",
      run: "run-u1-report",
      request: "req-shared-by-clients",
      steps: [{ think: "report" }, { tool: "search", delayMs: 100, result: "u1 report" }],
    })
    .at(510)
    .execute({
      user: "u2",
      run: "run-u2-report",
      request: "req-shared-by-clients",
      steps: [{ think: "report" }, { tool: "search", delayMs: 20, result: "u2 report" }],
    })
    .build(),
};

const threadRunIds: ConformanceScenario = {
  clauses: ["delivery.owner-only", "isolation.canary", "ctx.unique-run"],
  scenario: scenario("shapes-thread-run-ids")
    .attach("conn-u1", "u1")
    .attach("conn-u2", "u2")
    .execute({
      user: "u2",
      run: "thread_beta_run_1",
      thread: "thread_beta",
      steps: [{ think: "beta" }, { tool: "search", delayMs: 300, result: "beta" }],
    })
    // u1's run id happens to name u2's thread, and u1 sends it twice (a client retry).
    .execute({
      user: "u1",
      run: "thread_beta_run_7",
      thread: "thread_alpha",
      steps: [{ think: "alpha" }, { tool: "search", delayMs: 100, result: "alpha" }],
    })
    .at(10)
    .execute({
      user: "u1",
      run: "thread_beta_run_7",
      thread: "thread_alpha",
      request: "req-retry",
      steps: [{ think: "retry" }],
    })
    .build(),
};

const runIdReusedByAnotherUser: ConformanceScenario = {
  clauses: ["ctx.unique-run", "isolation.canary", "delivery.owner-only"],
  scenario: scenario("shapes-run-id-reused-across-users")
    .attach("conn-u1", "u1")
    .attach("conn-u2", "u2")
    .execute({
      user: "u1",
      run: "run-shared",
      steps: [{ think: "u1 first" }, { tool: "search", delayMs: 100, result: "u1 answer" }],
    })
    .at(10)
    .execute({
      user: "u2",
      run: "run-shared",
      steps: [{ think: "u2 second" }, { tool: "search", delayMs: 500, result: "u2 answer" }],
    })
    .build(),
};

const parallelSameTool: ConformanceScenario = {
  clauses: ["isolation.agent-instance", "events.critical"],
  scenario: scenario("shapes-parallel-calls-of-one-tool")
    .attach("conn-u1", "u1")
    .attach("conn-u2", "u2")
    .execute({
      user: "u1",
      run: "run-u1-fanout",
      steps: [
        {
          parallel: [
            { tool: "search", delayMs: 30, result: "first" },
            { tool: "search", delayMs: 10, result: "second" },
          ],
        },
      ],
    })
    .execute({
      user: "u2",
      run: "run-u2-fanout",
      steps: [{ parallel: [{ tool: "search", delayMs: 20, result: "only" }] }],
    })
    .build(),
};

/** The many-users-at-once shape: more hanging runs than a process-wide pool of 10 holds. */
const globalPool: ConformanceScenario = {
  clauses: ["concurrency.fairness", "isolation.failure"],
  scenario: (() => {
    const b = scenario("shapes-more-runs-than-a-global-pool")
      .limits({ runTimeoutMs: 5000 })
      .attach("conn-u1", "u1")
      .attach("conn-u2", "u2");
    for (let i = 1; i <= 12; i += 1)
      b.execute({ user: "u1", run: `run-u1-hang-${i}`, steps: [{ hang: true }] });
    return b
      .at(10)
      .execute({ user: "u2", run: "run-u2-quick", steps: [{ think: "quick" }] })
      .build();
  })(),
};

export const backendShapeScenarios: ConformanceScenario[] = [
  requestMetadata,
  pipelineRequest,
  threadRunIds,
  runIdReusedByAnotherUser,
  parallelSameTool,
  globalPool,
];
