// Retention through the runner: what a leaky engine keeps is caught at once and its holder named
// in the cleanup.* witness; the reference engine, over many runs and sessions ending every way,
// has nothing reported, and no heap snapshot is taken for it.
import { describe, expect, it } from "vitest";
import ssot from "../../engines/ssot/index.ts";
import { checkCleanup } from "../../harness/checkers/cleanup.ts";
import type { Verdict } from "../../harness/checkers/verdict.ts";
import { scenario } from "../../harness/conformance/build.ts";
import type { EngineModule } from "../../harness/contract/index.ts";
import type { History } from "../../harness/run/history.ts";
import { runScenario } from "../../harness/run/runner.ts";
import type { Scenario } from "../../harness/run/scenario.ts";
import type { Step } from "../../harness/world/script.ts";
import { keepsInputs, keepsRunNotes, remembersLastContext } from "../fixtures/memory.ts";

const THINK_AND_TOOL: Step[] = [{ think: "plan" }, { tool: "search", delayMs: 5, result: 1 }];

/** One user running `runs` runs one after another, each starting once the previous has ended. */
function sequentialRuns(runs: number, closeAfter = false): Scenario {
  const b = scenario(`sequential-${runs}`).attach("c1", "u1");
  for (let i = 1; i <= runs; i += 1) {
    b.at((i - 1) * 100).execute({ user: "u1", run: `r${i}`, steps: THINK_AND_TOOL });
  }
  b.at(runs * 100);
  if (closeAfter) b.closeUser("u1");
  return b.stats().build();
}

/** With retention, and one snapshot when something is retained (the suites turn them off). */
async function run(engine: EngineModule, s: Scenario): Promise<History> {
  return runScenario(engine, s, {
    checkRetention: true,
    retention: { maxSnapshots: 1 },
    realDeadlineMs: 60_000,
  });
}

function verdict(history: History, id: Verdict["id"]): Verdict {
  const found = checkCleanup(history).find((v) => v.id === id);
  if (!found) throw new Error(`no verdict for ${id}`);
  return found;
}

function brokenWitness(v: Verdict) {
  expect(v.verdict).toBe("broken");
  if (v.verdict !== "broken") throw new Error(`${v.id} is ${v.verdict}`);
  return v.witness;
}

describe("retention on leaky engines", () => {
  it("catches an engine that keeps each run's input on the first run, and names the field", async () => {
    const history = await run(keepsInputs, sequentialRuns(10));
    const first = history.retention.retained[0];
    expect(first).toMatchObject({ kind: "input", userId: "u1", runId: "r1", after: "run-end" });
    expect(first?.at).toBeLessThan(100); // found before the second run started
    const witness = brokenWitness(verdict(history, "cleanup.run"));
    expect(witness.summary).toContain("after run r1 of user u1 ended");
    expect(witness.retainers?.[0]).toEqual({
      path: "engine (Object) → execute (function execute) → scope.inputs (Array) → [0] (Object)",
      count: 10,
      kinds: ["input"],
    });
    // After shutdown they are still there: cleanup.shutdown names the same holder.
    const shutdown = brokenWitness(verdict(history, "cleanup.shutdown"));
    expect(shutdown.retainers?.[0]?.count).toBe(10);
    expect(history.retention.snapshots?.count).toBe(1);
  });

  it("catches an engine that keeps a single context after closeUser, on the first session", async () => {
    const history = await run(remembersLastContext, sequentialRuns(1, true));
    const witness = brokenWitness(verdict(history, "cleanup.user"));
    expect(witness.summary).toContain(
      "after closeUser(u1) the engine still held the context of user u1's run r1",
    );
    expect(witness.retainers).toEqual([
      {
        path: "engine (Object) → execute (function execute) → scope.state (Object) → lastContext (Object)",
        count: 1,
        kinds: ["context"],
      },
    ]);
  });

  it("still finds retention without a snapshot when snapshots are off, only without the path", async () => {
    const history = await runScenario(keepsInputs, sequentialRuns(2), {
      checkRetention: true,
      retention: { maxSnapshots: 0 },
    });
    expect(history.retention.retained.length).toBeGreaterThan(0);
    expect(history.retention.retained.every((r) => r.path === undefined)).toBe(true);
    expect(history.retention.snapshots).toBeUndefined();
    const witness = brokenWitness(verdict(history, "cleanup.run"));
    expect(witness.retainers).toBeUndefined();
  });

  it("does not see an engine's own per-run objects (the growth probe does: growth.test.ts)", async () => {
    const history = await run(keepsRunNotes, sequentialRuns(3));
    expect(history.retention).toMatchObject({ checked: true, retained: [] });
  });
});

describe("no false retention on the reference engine", () => {
  it("a run still active when a duplicate of its id is refused is not judged ended", async () => {
    // The refused duplicate settles at once; the first run's context is still in use. Judging
    // a run by its latest execute reported that context as retained.
    const s = scenario("duplicate-while-active")
      .limits({ runTimeoutMs: 1000 })
      .attach("c1", "u1")
      .attach("c2", "u2")
      .execute({ user: "u1", run: "r1", steps: [{ hang: true }] })
      .at(10)
      .execute({ user: "u2", run: "r1", steps: [{ think: "mine" }] })
      .at(20)
      .stats()
      .at(2000)
      .stats()
      .build();
    const history = await run(ssot, s);
    expect(history.retention.checks).toBeGreaterThanOrEqual(3);
    expect(history.retention.retained).toEqual([]);
  });

  it("what the world's own agent holds while it sleeps past its run's end is deferred, not reported", async () => {
    const s = scenario("agent-outlives-run")
      .limits({ runTimeoutMs: 1000 })
      .attach("c1", "u1")
      .execute({
        user: "u1",
        run: "r1",
        steps: [
          { tool: "t", result: 1 },
          { sleep: 10_000_000, ignoreAbort: true },
        ],
      })
      .build();
    const history = await run(ssot, s);
    expect(history.retention).toMatchObject({ checked: true, retained: [] });
    expect(history.retention.deferred).toBeGreaterThan(0);
  });

  it("nothing is reported over many sessions of runs ending every way, and no snapshot taken", async () => {
    const sessions = Number(process.env.CROSSTALK_MEMORY_SESSIONS ?? 20);
    const history = await run(ssot, manySessions(sessions));
    const executes = history.scenario.ops.filter((op) => op.op === "execute").length;
    expect(executes).toBe(sessions * (RUN_KINDS.length + 1)); // one duplicate per session
    expect(history.failure).toBeUndefined();
    expect(history.retention.retained).toEqual([]);
    expect(history.retention.snapshots).toBeUndefined();
    for (const v of checkCleanup(history)) expect(v.verdict, JSON.stringify(v)).not.toBe("broken");
  });
});

/** Each session's runs: every way a run ends, plus a duplicate id and a run outliving its end. */
const RUN_KINDS: { steps: Step[]; cancelAfter?: number; duplicate?: boolean }[] = [
  { steps: THINK_AND_TOOL },
  {
    steps: [
      { think: "x" },
      {
        parallel: [
          { tool: "a", result: 1 },
          { tool: "b", delayMs: 3 },
        ],
      },
    ],
  },
  { steps: [{ tool: "fails", error: "tool broke" }] },
  { steps: [{ throw: "agent broke" }] },
  { steps: [{ hang: true }] },
  { steps: [{ sleep: 5000 }], cancelAfter: 20 },
  { steps: [{ tool: "slow", delayMs: 3000, ignoreAbort: true }] },
  { steps: [{ think: "dup" }, { sleep: 50 }], duplicate: true },
];

/**
 * `n` sessions, two users at a time: each attaches two tabs, issues every kind of run (a queue
 * forms at perUserConcurrency 3), detaches a tab mid-way and is closed while runs may be going.
 */
function manySessions(n: number): Scenario {
  const b = scenario(`sessions-${n}`).limits({ runTimeoutMs: 1000, maxQueuedPerUser: 16 });
  for (let k = 0; k < n; k += 1) {
    const user = `u${k}`;
    const t = k * 2000;
    b.at(t).attach(`${user}-a`, user).attach(`${user}-b`, user);
    RUN_KINDS.forEach((kind, i) => {
      const run = `${user}-r${i}`;
      b.at(t + i).execute({ user, run, steps: kind.steps });
      if (kind.cancelAfter !== undefined) b.at(t + i + kind.cancelAfter).cancel(run, user);
      if (kind.duplicate) b.at(t + i + 1).execute({ user, run, steps: [{ think: "again" }] });
    });
    b.at(t + 30).detach(`${user}-b`);
    b.at(t + (k % 2 === 0 ? 1500 : 3500)).closeUser(user);
  }
  return b.stats().build();
}
