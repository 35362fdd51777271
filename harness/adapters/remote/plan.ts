/**
 * Which contract scenarios a remote engine can be taken through, and what each costs in real
 * time. Over the wire there is no virtual clock: a scenario's schedule, its tools' latencies and
 * the engine's own runTimeoutMs (read from `welcome`) all pass in real milliseconds. A scenario
 * is skipped, with the reason, when no frame can carry one of its operations (closeUser,
 * shutdown: the protocol has none) or when it would take longer than the budget.
 */

import type { ConformanceScenario } from "../../conformance/types.ts";
import type { JsonValue, Limits } from "../../contract/index.ts";
import type { Scenario } from "../../run/scenario.ts";
import type { WireScenario } from "../../transport/wire-log.ts";

export type Planned =
  | { run: true; item: ConformanceScenario; expectedMs: number; settleMs: number }
  | { run: false; item: ConformanceScenario; reason: string };

/** Operations a client cannot send: an operator makes them, and the protocol has no frame. */
const NO_FRAME = new Set(["closeUser", "shutdown"]);

export function plan(item: ConformanceScenario, limits: Limits, budgetMs: number): Planned {
  const scenario = item.scenario as WireScenario;
  const operator = scenario.ops.find((op) => NO_FRAME.has(op.op));
  if (operator) {
    return {
      run: false,
      item,
      reason: `it calls ${operator.op}() at ${operator.at} ms, and the wire protocol has no frame for ${operator.op}`,
    };
  }
  const { expectedMs, settleMs } = cost(scenario, limits);
  if (expectedMs > budgetMs) {
    return {
      run: false,
      item,
      reason: `it would take about ${Math.round(expectedMs / 100) / 10} s in real time with the engine's limits (runTimeoutMs ${limits.runTimeoutMs}), over the budget of ${budgetMs / 1000} s`,
    };
  }
  return { run: true, item, expectedMs, settleMs };
}

/**
 * The real time a scenario should take: its last operation, then each user's runs (a run lasts
 * what its steps say, capped by runTimeoutMs; a user's runs share perUserConcurrency slots).
 * `settleMs` is how long after the start work may still finish, even work the engine must
 * ignore (a tool that returns after its run timed out): the recorder listens until then.
 */
export function cost(scenario: Scenario, limits: Limits): { expectedMs: number; settleMs: number } {
  const lastOp = Math.max(0, ...scenario.ops.map((op) => op.at));
  const perUser = new Map<string, number[]>();
  let settleMs = lastOp;
  for (const op of scenario.ops) {
    if (op.op !== "execute") continue;
    const script = scriptMs(op.request.input);
    const runMs = Math.min(script.runMs, limits.runTimeoutMs);
    const list = perUser.get(op.context.userId) ?? [];
    list.push(runMs);
    perUser.set(op.context.userId, list);
    settleMs = Math.max(settleMs, op.at + Math.min(script.lateMs, 4 * limits.runTimeoutMs));
  }
  let work = 0;
  for (const runs of perUser.values()) {
    const total = runs.reduce((a, b) => a + b, 0);
    work = Math.max(
      work,
      Math.max(...runs),
      total / Math.min(limits.perUserConcurrency, runs.length),
    );
  }
  const expectedMs = lastOp + work;
  return { expectedMs, settleMs: Math.max(settleMs, expectedMs) };
}

/**
 * How long a scripted input runs (`hang` forever), and until when its agent or tools may still
 * be working when they ignore the abort.
 */
function scriptMs(input: JsonValue): { runMs: number; lateMs: number } {
  const steps = (input as { steps?: unknown } | null)?.steps;
  if (!Array.isArray(steps)) return { runMs: 0, lateMs: 0 };
  let runMs = 0;
  let lateMs = 0;
  let ended = false;
  for (const step of steps) {
    const s = (step ?? {}) as Record<string, unknown>;
    if ("hang" in s) return { runMs: Number.POSITIVE_INFINITY, lateMs };
    if ("throw" in s) break;
    const ms = stepMs(s);
    if (!ended) runMs += ms;
    lateMs += ms;
    if (s.error !== undefined) ended = true;
  }
  return { runMs, lateMs: Math.max(lateMs, runMs) };
}

function stepMs(step: Record<string, unknown>): number {
  if (Array.isArray(step.parallel)) {
    return Math.max(0, ...step.parallel.map((t) => stepMs((t ?? {}) as Record<string, unknown>)));
  }
  const ms = typeof step.sleep === "number" ? step.sleep : step.delayMs;
  return typeof ms === "number" && Number.isFinite(ms) && ms > 0 ? ms : 0;
}
