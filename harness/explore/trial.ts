/**
 * One trial: a scenario run once on the engine under test, under one schedule, judged by every
 * checker and, when no clause broke, compared with the reference engine (differential). What it
 * finds is keyed by clause id, or `differential`, or `engine-failure` when the engine could not
 * complete the scenario at all (stuck past the real-time deadline, or a flood of events).
 *
 * The real-time deadline is the one thing here that depends on the machine: a scenario cut off by
 * it is run again, under the same schedule, with a deadline six times longer, and only that second
 * run is judged. A stuck engine is stuck both times; a busy machine rarely is.
 */
import { createHash } from "node:crypto";
import { checkHistory } from "../checkers/index.ts";
import type { Verdict } from "../checkers/verdict.ts";
import type { Transport } from "../conformance/catalogue.ts";
import type { ClauseId, EngineModule } from "../contract/index.ts";
import type { History } from "../run/history.ts";
import { REAL_DEADLINE_MS, runScenario } from "../run/runner.ts";
import type { Scenario } from "../run/scenario.ts";
import { runScenarioWs, WS_REAL_DEADLINE_MS } from "../run/ws-runner.ts";
import { recording } from "../schedule/replay.ts";
import type { TimerChooser } from "../world/clock.ts";
import { compareObservations, observe } from "./differential.ts";

export const DIFFERENTIAL = "differential";
export const ENGINE_FAILURE = "engine-failure";
export type FindingKey = ClauseId | typeof DIFFERENTIAL | typeof ENGINE_FAILURE;

/** Canaries are seeded with this in every trial, so a replay plants the same secrets. */
export const CANARY_SEED = 1;

export interface Target {
  module: EngineModule;
  /** The engine as a token names it: a bundled name, or a path relative to the working dir. */
  spec: string;
  reference: EngineModule;
  /** What this engine is known to break (its baseline): found, these are expected. */
  expected: ReadonlySet<FindingKey>;
  /** Compare with the reference when no clause broke. */
  differential: boolean;
  /**
   * How the engine is driven: in process (default), or over real WebSockets, where timers are
   * still ordered by the chooser but frames cross sockets no scheduler controls.
   */
  transport?: Transport;
}

export interface FoundWitness {
  summary: string;
  entries: number[];
}

export interface Trial {
  history: History;
  verdicts: Verdict[];
  found: Map<FindingKey, FoundWitness>;
  /** The first run was cut off by the real-time deadline, and this is the second. */
  rerun: boolean;
}

export interface TrialOptions {
  chooser?: TimerChooser;
  retention: boolean;
  /** The first run's real-time deadline; the runner's own by default. */
  realDeadlineMs?: number;
}

export class EngineStartError extends Error {
  override name = "EngineStartError";
}

/** How much longer the second run of a scenario cut off by the real-time deadline may take. */
export const DEADLINE_RETRY_FACTOR = 6;

export async function runTrial(
  target: Target,
  scenario: Scenario,
  options: TrialOptions,
): Promise<Trial> {
  const ws = target.transport === "ws";
  const run = (chooser: TimerChooser | undefined, realDeadlineMs?: number) =>
    (ws ? runScenarioWs : runScenario)(target.module, scenario, {
      seed: CANARY_SEED,
      checkRetention: options.retention,
      // Naming retainers takes a heap snapshot (seconds): exploration only needs the verdict.
      retention: { maxSnapshots: 0 },
      ...(chooser ? { chooser } : {}),
      ...(realDeadlineMs !== undefined ? { realDeadlineMs } : {}),
    });
  const first = options.chooser ? recording(options.chooser) : undefined;
  const deadlineMs = options.realDeadlineMs ?? (ws ? WS_REAL_DEADLINE_MS : REAL_DEADLINE_MS);
  let history = await run(first?.chooser, deadlineMs);
  const rerun = history.failure?.deadline === true;
  if (rerun) {
    const again = options.chooser && resumed([...(first?.decisions ?? [])], options.chooser);
    history = await run(again, DEADLINE_RETRY_FACTOR * deadlineMs);
  }
  if (history.failure?.phase === "create") throw new EngineStartError(history.failure.message);
  const verdicts = checkHistory(history);
  const found = new Map<FindingKey, FoundWitness>();
  for (const verdict of verdicts) {
    if (verdict.verdict !== "broken") continue;
    found.set(verdict.id, {
      summary: verdict.witness.summary,
      entries: verdict.witness.entries ?? [],
    });
  }
  if (history.failure) {
    found.set(ENGINE_FAILURE, {
      summary: `the engine could not complete the scenario: ${history.failure.message}`,
      entries: [],
    });
  }
  if (target.differential && found.size === 0) {
    // The reference runs in the clock's FIFO order, in process: what users observe must depend
    // on neither the schedule nor the transport.
    const reference = await runScenario(target.reference, scenario, { seed: CANARY_SEED });
    const difference = compareObservations(observe(reference), observe(history));
    if (difference) found.set(DIFFERENTIAL, difference);
  }
  return { history, verdicts, found, rerun };
}

/**
 * Makes the picks the cut-off run made, then asks the caller's chooser for the rest, so the second
 * run follows the first and the caller records one schedule: the one the judged run took.
 */
function resumed(picks: readonly number[], chooser: TimerChooser): TimerChooser {
  let position = 0;
  return (count, timers) => {
    const pick = picks[position];
    position += 1;
    return pick ?? chooser(count, timers);
  };
}

/** Identifies a witness: the same clause, summary and history entries give the same digest. */
export function witnessDigest(key: FindingKey, witness: FoundWitness): string {
  return createHash("sha256")
    .update(`${key}\n${witness.summary}\n${witness.entries.join(",")}`)
    .digest("hex")
    .slice(0, 12);
}

export interface WitnessSize {
  users: number;
  runs: number;
  /** Events delivered to connections in the witness's history. */
  events: number;
  /** Timer choices that differ from FIFO. */
  deviations: number;
}

export function sizeOf(scenario: Scenario, history: History, deviations: number): WitnessSize {
  return {
    users: scenario.users.length,
    runs: scenario.ops.filter((op) => op.op === "execute").length,
    events: history.entries.filter((entry) => entry.kind === "deliver").length,
    deviations,
  };
}
