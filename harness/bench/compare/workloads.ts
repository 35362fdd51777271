/**
 * The workloads every engine gets, the same for all: `users` users with one tab each, each
 * sending RUNS_PER_USER runs (think, tool, think, two parallel tools, think: 11 events a run) a
 * few virtual milliseconds apart, all users at once. Before an engine is timed on a workload, one
 * run of it is checked against every clause: a workload the engine breaks is marked, since speed
 * bought by leaking answers or dropping events is no speed.
 */
import type { BenchWorkload, Transport } from "../../../reports/bench-schema.ts";
import { checkHistory } from "../../checkers/index.ts";
import type { EngineModule } from "../../contract/index.ts";
import type { History } from "../../run/history.ts";
import { runScenario } from "../../run/runner.ts";
import type { Scenario } from "../../run/scenario.ts";
import { runScenarioWs } from "../../run/ws-runner.ts";
import { loadScenario } from "../../transport/load.ts";

export const RUNS_PER_USER = 2;

export interface Workload {
  id: string;
  transport: Transport;
  users: number;
  runs: number;
  scenario: Scenario;
}

export function runsWorkload(transport: Transport, users: number): Workload {
  return {
    id: `runs.${transport}.${users}`,
    transport,
    users,
    runs: users * RUNS_PER_USER,
    scenario: loadScenario(users, RUNS_PER_USER),
  };
}

/** Generous bounds: a thousand users' histories are large, and a loaded machine is slow. */
export function runLimits(users: number) {
  return { realDeadlineMs: 120_000 + users * 200, maxEntries: 1_000 + users * 400 };
}

/** One run of the workload, recorded (checking is the caller's choice). */
export function runOnce(module: EngineModule, workload: Workload): Promise<History> {
  const limits = runLimits(workload.users);
  return workload.transport === "ws"
    ? runScenarioWs(module, workload.scenario, { ...limits, pipeline: true })
    : runScenario(module, workload.scenario, limits);
}

/** One checked run: which clauses the engine breaks on this workload, and whether it failed. */
export async function checkWorkload(
  module: EngineModule,
  workload: Workload,
): Promise<BenchWorkload> {
  const described: BenchWorkload = {
    id: workload.id,
    description: `${workload.users} users, one ${workload.transport === "ws" ? "WebSocket" : "in-process connection"} each, ${RUNS_PER_USER} runs each of 11 events, all at once`,
    transport: workload.transport,
    users: workload.users,
    runs: workload.runs,
    brokenClauses: [],
    checked: false,
  };
  let history: History;
  try {
    history = await runOnce(module, workload);
  } catch (error) {
    return { ...described, failure: error instanceof Error ? error.message : String(error) };
  }
  const brokenClauses = checkHistory(history).flatMap((verdict) =>
    verdict.verdict === "broken" ? [{ id: verdict.id, witness: verdict.witness.summary }] : [],
  );
  return {
    ...described,
    brokenClauses,
    checked: true,
    ...(history.failure ? { failure: `${history.failure.phase}: ${history.failure.message}` } : {}),
  };
}
