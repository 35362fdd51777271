/**
 * events.*: runs that think and call tools (one at a time and in parallel) and succeed, fail,
 * throw, time out or are cancelled; agents and tools that keep going after their run ended;
 * payloads larger than maxEventBytes. Every user has a connection from the start, so every
 * event a run emits is seen.
 */
import type { Step } from "../../world/script.ts";
import { scenario } from "../build.ts";
import type { ConformanceScenario } from "../types.ts";

const research: Step[] = [
  { think: "read the question" },
  { tool: "search", args: { q: "crosstalk" }, delayMs: 20, result: ["a", "b"] },
  { think: "compare the sources" },
  {
    parallel: [
      { tool: "fetch", args: { url: "a" }, delayMs: 15, result: "page a" },
      { tool: "rank", args: { by: "date" }, delayMs: 5, result: [2, 1] },
    ],
  },
  { think: "write the answer" },
];

const thinkAndTools: ConformanceScenario = {
  clauses: ["events.grammar", "events.seq", "events.critical", "events.payload", "events.result"],
  scenario: scenario("events-think-and-tools")
    .attach("conn-u1-a", "u1")
    .attach("conn-u1-b", "u1")
    .attach("conn-u2", "u2")
    .execute({ user: "u1", run: "run-u1-research", steps: research })
    .execute({
      user: "u2",
      run: "run-u2-tools",
      steps: [
        { tool: "lookup", delayMs: 10, result: { id: 7 } },
        { think: "three at once" },
        {
          parallel: [
            { tool: "alpha", delayMs: 12 },
            { tool: "beta", delayMs: 4 },
            { tool: "gamma", delayMs: 8 },
          ],
        },
        { sleep: 10 },
        { think: "done" },
      ],
    })
    .at(5)
    .execute({
      user: "u1",
      run: "run-u1-overlap",
      steps: [{ tool: "quick", delayMs: 1 }, { think: "overlapping run" }],
    })
    .execute({ user: "u2", run: "run-u2-think-only", steps: [{ think: "only thinking" }] })
    .build(),
};

const failures: ConformanceScenario = {
  clauses: ["events.grammar", "events.seq", "events.terminal", "events.result", "events.no-late"],
  scenario: scenario("events-failures-and-cancel")
    .attach("conn-u1", "u1")
    .attach("conn-u2", "u2")
    .attach("conn-u3", "u3")
    .execute({
      user: "u1",
      run: "run-u1-throws",
      steps: [{ think: "about to fail" }, { throw: "agent exploded" }],
    })
    .execute({
      user: "u1",
      run: "run-u1-tool-error",
      steps: [{ think: "calling" }, { tool: "flaky", delayMs: 10, error: "tool broke" }],
    })
    .execute({ user: "u1", run: "run-u1-missing-tool", steps: [{ tool: "missing-thing" }] })
    // One parallel call fails at 10 ms; the other would finish at 60 ms, after the terminal.
    .execute({
      user: "u3",
      run: "run-u3-parallel-error",
      steps: [
        {
          parallel: [
            { tool: "slow", delayMs: 60, result: "late" },
            { tool: "broken", delayMs: 10, error: "half failed" },
          ],
        },
      ],
    })
    // Three long runs fill u2's slots; the fourth waits in the queue and is cancelled there.
    .execute({
      user: "u2",
      run: "run-u2-cancel-active",
      steps: [{ think: "waiting" }, { sleep: 500 }],
    })
    .execute({ user: "u2", run: "run-u2-long-1", steps: [{ sleep: 300 }] })
    .execute({ user: "u2", run: "run-u2-long-2", steps: [{ tool: "slow", delayMs: 300 }] })
    .execute({ user: "u2", run: "run-u2-cancel-queued", steps: [{ think: "never runs" }] })
    .at(100)
    // The queued one first: cancelling the active one frees a slot the queued one would take.
    .cancel("run-u2-cancel-queued", "u2")
    .cancel("run-u2-cancel-active", "u2")
    .build(),
};

const timeouts: ConformanceScenario = {
  clauses: ["events.terminal", "events.result", "events.grammar"],
  scenario: scenario("events-timeouts")
    .limits({ runTimeoutMs: 500 })
    .attach("conn-u1", "u1")
    .attach("conn-u2", "u2")
    .execute({
      user: "u1",
      run: "run-u1-hangs",
      steps: [{ think: "thinking forever" }, { hang: true }],
    })
    .execute({ user: "u1", run: "run-u1-slow-tool", steps: [{ tool: "slow", delayMs: 2000 }] })
    .execute({ user: "u2", run: "run-u2-sleeps", steps: [{ sleep: 2000 }, { think: "too late" }] })
    .execute({
      user: "u2",
      run: "run-u2-quick",
      steps: [{ think: "quick" }, { tool: "fast", delayMs: 100 }],
    })
    .build(),
};

const lateWork: ConformanceScenario = {
  clauses: ["events.no-late", "events.grammar", "events.terminal"],
  scenario: scenario("events-no-late-after-timeout-and-cancel")
    .limits({ runTimeoutMs: 500 })
    .attach("conn-u1", "u1")
    .attach("conn-u2", "u2")
    // A tool that ignores the abort and returns at 2000 ms, long after the timeout.
    .execute({
      user: "u1",
      run: "run-u1-late-tool",
      steps: [
        { think: "calling" },
        { tool: "stubborn", delayMs: 2000, ignoreAbort: true, result: "late" },
      ],
    })
    // An agent that ignores the abort, then thinks and calls a tool after its run ended.
    .execute({
      user: "u1",
      run: "run-u1-late-agent",
      steps: [
        { sleep: 1500, ignoreAbort: true },
        { think: "still here" },
        { tool: "after", delayMs: 5 },
        { think: "and here" },
      ],
    })
    // The same after a cancel.
    .execute({
      user: "u2",
      run: "run-u2-cancel-late",
      steps: [{ tool: "stubborn", delayMs: 1000, ignoreAbort: true }],
    })
    .execute({
      user: "u2",
      run: "run-u2-parallel-late",
      steps: [
        {
          parallel: [
            { tool: "stubborn", delayMs: 300, ignoreAbort: true },
            { tool: "broken", delayMs: 10, error: "failed first" },
          ],
        },
      ],
    })
    .at(100)
    .cancel("run-u2-cancel-late", "u2")
    .build(),
};

const big = "x".repeat(10_000);
const bigWide = "é€".repeat(2000); // 2- and 3-byte characters: sizes are bytes, not characters

const bigPayloads: ConformanceScenario = {
  clauses: ["events.payload", "events.result", "events.critical", "events.grammar"],
  scenario: scenario("events-payloads-over-max-event-bytes")
    .limits({ maxEventBytes: 2048 })
    .attach("conn-u1", "u1")
    .attach("conn-u2", "u2")
    .execute({
      user: "u1",
      run: "run-u1-big",
      steps: [
        { think: bigWide },
        { tool: "dump", args: { blob: big }, delayMs: 5, result: big },
        {
          parallel: [
            { tool: "wide", delayMs: 3, result: bigWide },
            { tool: "small", delayMs: 1 },
          ],
        },
        { think: "short" },
      ],
    })
    .execute({ user: "u2", run: "run-u2-big-throw", steps: [{ think: "x" }, { throw: big }] })
    .execute({
      user: "u2",
      run: "run-u2-big-tool-error",
      steps: [{ tool: "fails-loudly", delayMs: 2, error: bigWide }],
    })
    .build(),
};

export const eventsScenarios: ConformanceScenario[] = [
  thinkAndTools,
  failures,
  timeouts,
  lateWork,
  bigPayloads,
];
