/**
 * The checked run of a workload on an engine reached at a URL: the remote checker's driver takes
 * the workload's scenario over the wire once and the in-process checkers judge what the frames
 * show (harness/adapters/remote), so a fast remote engine that leaks answers is marked as any
 * other. Clauses no frame can show are not judged here either. The engine is reached (welcome,
 * a warm-up run) once per benchmark, not once per workload.
 */
import type { BenchWorkload } from "../../../reports/bench-schema.ts";
import { runRemoteScenario } from "../../adapters/remote/driver.ts";
import { hello } from "../../adapters/remote/hello.ts";
import { judgeRemote } from "../../adapters/remote/judge.ts";
import { cost } from "../../adapters/remote/plan.ts";
import { warmUp } from "../../adapters/remote/warm-up.ts";
import type { Limits } from "../../contract/index.ts";
import { loadScenario } from "../../transport/load.ts";
import type { UrlTarget } from "./url.ts";
import { RUNS_PER_USER } from "./workloads.ts";

const CONNECT_TIMEOUT_MS = 5_000;
const GRACE_MS = 3_000;

/** What first contact with the engine told: its limits, and how long a run took to start. */
export interface Reached {
  limits: Limits;
  startLatencyMs: number;
}

/**
 * Reaches the engine once for the whole benchmark: `welcome` (its limits), then a warm-up run.
 * A failure is the sentence that says what went wrong.
 */
export async function reach(target: UrlTarget): Promise<Reached | { failure: string }> {
  const first = await hello(target.url, target.secret, "crosstalk-hello", CONNECT_TIMEOUT_MS);
  if (!first.ok) return { failure: first.failure };
  const warm = await warmUp(target.url, target.secret, CONNECT_TIMEOUT_MS);
  if (!warm.ok) return { failure: warm.failure };
  return { limits: first.welcome.limits, startLatencyMs: warm.startMs };
}

export async function checkUrlWorkload(
  target: UrlTarget,
  reached: Reached,
  users: number,
): Promise<BenchWorkload> {
  const described: BenchWorkload = {
    id: `runs.url.${users}`,
    description: `${users} users, one WebSocket each to the engine's URL, ${RUNS_PER_USER} runs each of 11 events, all at once, in real time`,
    transport: "url",
    users,
    runs: users * RUNS_PER_USER,
    brokenClauses: [],
    checked: false,
  };
  const { limits } = reached;
  const scenario = loadScenario(users, RUNS_PER_USER);
  const item = { scenario, clauses: [] };
  const { expectedMs, settleMs } = cost(scenario, limits);
  const { history, facts } = await runRemoteScenario(item, {
    url: target.url,
    secret: target.secret,
    limits,
    seed: 1,
    expectedMs,
    settleMs,
    graceMs: GRACE_MS + users * 5,
    connectTimeoutMs: CONNECT_TIMEOUT_MS + users * 10,
    engineName: target.url,
    startLatencyMs: reached.startLatencyMs,
    userSuffix: `bench.${users}`,
  });
  const brokenClauses = judgeRemote(history, facts, item, limits).flatMap((verdict) =>
    verdict.verdict === "broken" ? [{ id: verdict.id, witness: verdict.witness.summary }] : [],
  );
  return {
    ...described,
    brokenClauses,
    checked: true,
    ...(facts.engineCloses.length > 0 ? { failure: facts.engineCloses.join("; ") } : {}),
  };
}
