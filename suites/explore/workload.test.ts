// Workloads: every generated workload compiles to a scenario the runner can replay, within the
// bounds the issue sets, on the time grid that keeps timeouts and completions apart.
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { workloadArbitrary } from "../../harness/workload/arbitrary.ts";
import { CONTROL_USER, compileWorkload, SUBJECT_USER } from "../../harness/workload/compile.ts";
import type { Workload } from "../../harness/workload/model.ts";

const SEED = 20_240_601;

describe("generated workloads", () => {
  test.prop([workloadArbitrary()], { seed: SEED, numRuns: 300 })(
    "compile to scenarios within the issue's bounds",
    (workload) => {
      const scenario = compileWorkload(workload);
      const probe = workload.probe ? 2 : 0;
      expect(workload.users.length).toBeGreaterThanOrEqual(1);
      expect(workload.users.length).toBeLessThanOrEqual(8);
      // Users with nothing to do take no part.
      expect(scenario.users.length).toBeLessThanOrEqual(workload.users.length + probe);
      for (const op of scenario.ops) {
        if (op.op === "attach") expect(scenario.users).toContain(op.userId);
      }
      for (const user of workload.users) expect(user.connections.length).toBeLessThanOrEqual(3);
      // Sorted by time, so the runner issues them in this order.
      const ats = scenario.ops.map((op) => op.at);
      expect(ats).toEqual([...ats].sort((a, b) => a - b));
      // The time grid: instants are multiples of 10 and timeouts are not.
      for (const at of ats) expect(at % 10).toBe(0);
      const timeout = scenario.limits?.runTimeoutMs;
      if (timeout !== undefined) expect(timeout % 10).toBe(5);
      // Being JSON, a scenario survives a token's round trip unchanged.
      expect(JSON.parse(JSON.stringify(scenario))).toEqual(scenario);
    },
  );

  test.prop([workloadArbitrary()], { seed: SEED, numRuns: 200 })(
    "run the isolation probe's control alone before anything else",
    (workload) => {
      fc.pre(workload.probe !== undefined);
      const scenario = compileWorkload(workload);
      const control = scenario.ops.find(
        (op) => op.op === "execute" && op.context.userId === CONTROL_USER,
      );
      expect(control?.at).toBe(0);
      const others = scenario.ops.filter(
        (op) =>
          !(op.op === "attach" && op.userId === CONTROL_USER) &&
          !(op.op === "execute" && op.context.userId === CONTROL_USER),
      );
      for (const op of others) expect(op.at).toBeGreaterThan(0);
      expect(scenario.users).toContain(SUBJECT_USER);
      expect(scenario.limits?.globalConcurrency).toBeUndefined();
    },
  );
});

describe("compiling a workload", () => {
  const base: Workload = {
    limits: {},
    users: [
      { connections: [{ attachAt: 0 }], runs: [] },
      { connections: [{ attachAt: 0 }], runs: [] },
    ],
    shared: [[{ think: "same for everyone" }]],
    statsAt: [],
    retention: false,
  };
  const executes = (workload: Workload) =>
    compileWorkload(workload).ops.flatMap((op) => (op.op === "execute" ? [op] : []));

  test("gives inputs that coincide across users when they send a shared script", () => {
    const workload = structuredClone(base);
    for (const user of workload.users) user.runs.push({ at: 0, script: { shared: 0 } });
    const [a, b] = executes(workload);
    expect(a?.request.input).toEqual(b?.request.input);
    expect(JSON.stringify(a?.request.input)).not.toContain("$canary");
  });

  test("reuses run and request ids across users when asked to, and bursts get ids of their own", () => {
    const workload = structuredClone(base);
    (workload.users[0] as Workload["users"][number]).runs.push({
      at: 0,
      script: { steps: [{ think: "a" }] },
      repeat: 3,
    });
    (workload.users[1] as Workload["users"][number]).runs.push({
      at: 10,
      script: { steps: [{ think: "b" }] },
      ids: "reuse-foreign",
      request: "foreign",
      repeat: 2,
    });
    const runs = executes(workload).map((op) => [
      op.context.userId,
      op.context.runId,
      op.context.requestId,
    ]);
    expect(runs).toEqual([
      ["u1", "run-u1-1", "req-u1-1"],
      ["u1", "run-u1-2", "req-u1-2"],
      ["u1", "run-u1-3", "req-u1-3"],
      ["u2", "run-u1-1", "req-u1-1"],
      ["u2", "run-u2-2", "req-u1-2"],
    ]);
  });

  test("issues a colliding run id at the very instant of the run it collides with", () => {
    const workload = structuredClone(base);
    (workload.users[0] as Workload["users"][number]).runs.push({
      at: 150,
      script: { steps: [{ sleep: 100 }] },
    });
    (workload.users[1] as Workload["users"][number]).runs.push({
      at: 800,
      script: { steps: [{ think: "b" }] },
      ids: "collide-foreign",
    });
    const [a, b] = executes(workload);
    expect([b?.context.runId, b?.at]).toEqual([a?.context.runId, a?.at]);
    expect(b?.context.userId).not.toBe(a?.context.userId);
  });

  test("sends a cancel from another user when the plan says so", () => {
    const workload = structuredClone(base);
    (workload.users[0] as Workload["users"][number]).runs.push({
      at: 0,
      script: { steps: [{ sleep: 100 }] },
      cancel: { after: 50, by: 0 },
    });
    const cancel = compileWorkload(workload).ops.find((op) => op.op === "cancel");
    expect(cancel).toEqual({ op: "cancel", runId: "run-u1-1", byUserId: "u2", at: 50 });
  });
});
