/**
 * Verdicts for one scenario run over the wire: the in-process checkers over the recorded
 * history, except for clauses nothing on the wire can show (not-checked, with why) and the few
 * judged from the wire instead (wire-checks.ts), isolation.failure among them: run durations are
 * real time there, so two identical runs may differ by a few ms and only more counts.
 */
import { checkHistory } from "../../checkers/index.ts";
import { checkIsolationFailure } from "../../checkers/isolation.ts";
import { broken, notChecked, type Verdict } from "../../checkers/verdict.ts";
import type { ConformanceScenario } from "../../conformance/types.ts";
import type { ClauseId, Limits } from "../../contract/index.ts";
import type { History } from "../../run/history.ts";
import type { RemoteFacts } from "./driver.ts";
import { timingLeeway } from "./stamps.ts";
import { noDeadlockOverWire, statsOverWire, timeoutOverWire } from "./wire-checks.ts";

/** Clauses that cannot be judged from outside the engine's process, and why. */
export const NOT_FROM_THE_WIRE: Readonly<Partial<Record<ClauseId, string>>> = {
  "ctx.immutable":
    "whether the engine changed the objects it was handed is visible only inside its process; over the wire it only ever receives copies",
  "isolation.agent-instance":
    "what context each runtime call of an agent saw happens inside the engine; no frame shows it",
  "cleanup.run":
    "retention is judged by weak references after forced garbage collection, inside the engine's process",
  "cleanup.user":
    "closeUser has no frame in the wire protocol, and what the engine keeps reachable is not visible from outside",
  "cleanup.shutdown":
    "shutdown has no frame in the wire protocol, and timers, listeners and sockets left behind are visible only inside the engine's process",
  "isolation.state":
    "the harness's own tools put each user's canary in their results, but a remote engine's tools are its own: two users sending the same input get the same answer whether or not it was shared",
  "errors.contained":
    "an unhandled rejection or exception inside the engine is not visible from outside (a crash shows only as closed sockets)",
};

export function judgeRemote(
  history: History,
  facts: RemoteFacts,
  item: ConformanceScenario,
  limits: Limits,
): Verdict[] {
  const own = new Map<ClauseId, Verdict>([
    ["concurrency.no-deadlock", noDeadlockOverWire(history, facts)],
    ["time.timeout", timeoutOverWire(history, limits.runTimeoutMs, facts.elapsedMs)],
    ["cleanup.stats", statsOverWire(history, facts)],
    ["isolation.failure", checkIsolationFailure(history, timingLeeway(limits.runTimeoutMs))],
  ]);
  const verdicts = checkHistory(history).map((verdict) => {
    const reason = NOT_FROM_THE_WIRE[verdict.id];
    if (reason) return notChecked(verdict.id, reason);
    return own.get(verdict.id) ?? verdict;
  });
  return withEngineCloses(withUnresolved(verdicts, history, facts), facts, item);
}

/**
 * A break whose witness is a run nobody could see end (its only socket closed before its
 * result, and the user never came back) says nothing the wire can stand behind.
 */
function withUnresolved(verdicts: Verdict[], history: History, facts: RemoteFacts): Verdict[] {
  if (facts.unresolved.size === 0) return verdicts;
  const calls = new Map<number, number>();
  for (const e of history.entries) if (e.kind === "call") calls.set(e.index, e.callId);
  return verdicts.map((v) => {
    if (v.verdict !== "broken") return v;
    const blind = v.witness.entries?.some((i) => facts.unresolved.has(calls.get(i) ?? -1));
    if (!blind) return v;
    return notChecked(
      v.id,
      `the run the finding is about ended unseen: its socket closed before its result, which goes only to the socket that asked, and no socket of its user saw it end (the finding was: ${v.witness.summary})`,
    );
  });
}

/**
 * The engine closed a scenario's socket it had no reason to close: the clauses the scenario is
 * there for cannot have held, whatever else the history shows.
 */
function withEngineCloses(
  verdicts: Verdict[],
  facts: RemoteFacts,
  item: ConformanceScenario,
): Verdict[] {
  const first = facts.engineCloses[0];
  if (!first) return verdicts;
  const summary = `the engine could not complete the scenario: ${first}`;
  return verdicts.map((v) =>
    item.clauses.includes(v.id) && v.verdict !== "broken" && !NOT_FROM_THE_WIRE[v.id]
      ? broken(v.id, summary)
      : v,
  );
}
