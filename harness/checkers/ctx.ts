/**
 * The ctx family: what the engine does with the context it is handed. Invalid, duplicate and
 * foreign contexts must be refused before anything happens; no context or request is changed.
 */
import { ERROR_CODES } from "../contract/index.ts";
import type { History } from "../run/history.ts";
import {
  type Analysis,
  analyse,
  contextIssue,
  describe,
  earliest,
  type Finding,
  hasValidContext,
  idText,
  leftBehind,
  outcomeOf,
  type RunTrace,
  receiver,
  refusalProblem,
  resultErrorCode,
} from "./events-stream.ts";
import { broken, held, notChecked, type Verdict } from "./verdict.ts";
import type { RunView } from "./view.ts";

const IDS = ["ctx.valid", "ctx.immutable", "ctx.unique-run", "ctx.owner"] as const;

export function checkCtx(history: History): Verdict[] {
  try {
    const analysis = analyse(history);
    return [valid(analysis), immutable(analysis), uniqueRun(analysis), owner(analysis)];
  } catch (error) {
    const reason = `the history could not be read: ${error instanceof Error ? error.message : String(error)}`;
    return IDS.map((id) => notChecked(id, reason));
  }
}

/** `user u1's execute of run r1` — how a witness names one execute call. */
function executeName(run: RunView): string {
  return `user ${idText(run.userId)}'s execute of run ${idText(run.runId)} (request ${idText(run.context.requestId)})`;
}

// ---------------------------------------------------------------------------------------------

function valid(analysis: Analysis): Verdict {
  const id = "ctx.valid";
  const found: Finding[] = [];
  let exercised = false;
  const shutdownAt = firstShutdown(analysis);
  for (const trace of analysis.traces) {
    const { run } = trace;
    const problem = contextIssue(analysis, run);
    if (!problem) {
      // A valid context refused as invalid is a wrong reading of the same rule.
      if (trace.rejected && resultErrorCode(run) === ERROR_CODES.invalidContext) {
        found.push({
          index: run.ret?.index ?? run.call.index,
          summary: `${executeName(run)} has a valid context but was rejected with INVALID_CONTEXT`,
          entries: [run.call.index, ...(run.ret ? [run.ret.index] : [])],
        });
      }
      continue;
    }
    exercised = true;
    const label = `${executeName(run)}, whose ${problem}`;
    if (!run.ret && analysis.cut) continue;
    const expected =
      shutdownAt < run.call.index && resultErrorCode(run) === ERROR_CODES.shuttingDown
        ? ERROR_CODES.shuttingDown
        : ERROR_CODES.invalidContext;
    const refusal = refusalProblem(run, expected);
    if (refusal) {
      found.push({
        index: run.ret?.index ?? run.call.index,
        summary: `${label}, ${refusal}`,
        entries: [run.call.index, ...(run.ret ? [run.ret.index] : [])],
      });
      continue;
    }
    const after = leftBehind(analysis, trace, `${label}, was rejected`, true);
    if (after) found.push(after);
  }
  const v = earliest(found);
  if (v) return broken(id, v.summary, v.entries);
  return exercised ? held(id) : notChecked(id, "no execute had an invalid or placeholder id");
}

function firstShutdown(analysis: Analysis): number {
  for (const call of analysis.view.calls.values()) {
    if (call.operation.op === "shutdown") return call.index;
  }
  return Number.POSITIVE_INFINITY;
}

// ---------------------------------------------------------------------------------------------

function immutable(analysis: Analysis): Verdict {
  const id = "ctx.immutable";
  let exercised = false;
  const found: Finding[] = [];
  for (const trace of analysis.traces) {
    const ret = trace.run.ret;
    if (!ret || ret.threw) continue;
    exercised = true;
    if (ret.mutated && ret.mutated.length > 0) {
      const what = ret.mutated.map((m) => `the ${m}`).join(" and ");
      found.push({
        index: ret.index,
        summary: `the engine changed ${what} it was handed for ${executeName(trace.run)} (seen when the execute ${outcomeOf(trace.run)})`,
        entries: [trace.run.call.index, ret.index],
      });
    }
  }
  const v = earliest(found);
  if (v) return broken(id, v.summary, v.entries);
  return exercised ? held(id) : notChecked(id, "no execute resolved");
}

// ---------------------------------------------------------------------------------------------

function uniqueRun(analysis: Analysis): Verdict {
  const id = "ctx.unique-run";
  const found: Finding[] = [];
  let exercised = false;
  for (const second of analysis.traces) {
    if (!hasValidContext(analysis, second.run)) continue;
    const firstRun = activeBefore(analysis, second);
    if (!firstRun) continue;
    exercised = true;
    const a = firstRun.run;
    const b = second.run;
    const state = firstRun.emissions.some(
      (e) => e.event.type === "agent_started" && e.first.index < b.call.index,
    )
      ? "active"
      : "queued or active";
    const label = `${executeName(b)} came while ${executeName(a)} was still ${state}`;
    if (!b.ret && analysis.cut) continue;
    const refusal = refusalProblem(b);
    if (refusal) {
      found.push({
        index: b.ret?.index ?? b.call.index,
        summary: `${label}, and ${refusal.replace(/^was /, "it was ")}`,
        entries: [a.call.index, b.call.index, ...(b.ret ? [b.ret.index] : [])],
      });
      continue;
    }
    const after = leftBehind(analysis, second, `${label} and was rejected`, false);
    if (after) {
      found.push(after);
      continue;
    }
    const disturbed = disturbance(analysis, firstRun, second);
    if (disturbed) found.push(disturbed);
  }
  const v = earliest(found);
  if (v) return broken(id, v.summary, v.entries);
  return exercised
    ? held(id)
    : notChecked(id, "no execute reused the runId of an active or queued run");
}

/** The accepted execute of the same runId that was active or queued when `second` was issued. */
function activeBefore(analysis: Analysis, second: RunTrace): RunTrace | undefined {
  const at = second.run.call.index;
  let found: RunTrace | undefined;
  for (const trace of tracesOfRun(analysis, second.run.runId)) {
    if (trace === second || trace.run.call.index >= at) continue;
    if (!hasValidContext(analysis, trace.run)) continue;
    if (trace.rejected) continue;
    if (trace.run.ret && trace.run.ret.index < at) continue;
    // A run whose terminal was already delivered is over, whatever its execute does.
    if (trace.emissions.some((e) => isEnd(e.event.type) && e.first.index < at)) continue;
    found = trace;
  }
  return found;
}

const byRunId = new WeakMap<Analysis, Map<unknown, RunTrace[]>>();

/** The traces of one runId, in order, grouped once per history (there may be thousands). */
function tracesOfRun(analysis: Analysis, runId: unknown): RunTrace[] {
  let groups = byRunId.get(analysis);
  if (!groups) {
    groups = new Map();
    for (const trace of analysis.traces) {
      const list = groups.get(trace.run.runId);
      if (list) list.push(trace);
      else groups.set(trace.run.runId, [trace]);
    }
    byRunId.set(analysis, groups);
  }
  return groups.get(runId) ?? [];
}

function isEnd(type: string): boolean {
  return type === "agent_completed" || type === "agent_error";
}

/** How the refused duplicate disturbed the first run, if it did. */
function disturbance(
  analysis: Analysis,
  firstRun: RunTrace,
  second: RunTrace,
): Finding | undefined {
  const a = firstRun.run;
  const b = second.run;
  // A second agent_started after the duplicate came: the run began again (the first one, if
  // the run was queued then, is simply its start).
  const starts = firstRun.emissions.filter((e) => e.event.type === "agent_started");
  // An engine that retries a failing run restarts it by itself: when every agent start after
  // the duplicate was handed the first run's own context (user and request), not the
  // duplicate's, the restart is the first run's own doing (events.grammar judges it).
  const own = (c: { userId: unknown; requestId: unknown }, run: typeof a) =>
    c.userId === run.context.userId && c.requestId === run.context.requestId;
  const agentStarts = analysis.view.runtime.filter(
    (e) => e.call === "start" && e.index > b.call.index && e.context.runId === a.runId,
  );
  const selfRestart =
    !own(b.context, a) &&
    agentStarts.length > 0 &&
    agentStarts.every((e) => own(e.context, a) && !own(e.context, b));
  const restart = selfRestart
    ? undefined
    : starts.slice(1).find((e) => e.first.index > b.call.index);
  if (restart) {
    return {
      index: restart.first.index,
      summary: `after ${executeName(b)} was rejected as a duplicate, run ${idText(a.runId)} started again: ${receiver(restart.first)} received ${describe(restart)}`,
      entries: [b.call.index, restart.first.index],
    };
  }
  const ret = a.ret;
  if (!ret || ret.index < b.call.index) return undefined;
  const status = firstRun.status;
  if (status === "rejected" || (status === "cancelled" && !interrupted(analysis, firstRun))) {
    return {
      index: ret.index,
      summary: `${executeName(a)} ${outcomeOf(a)} after ${executeName(b)} was rejected as its duplicate, though nobody cancelled it`,
      entries: [a.call.index, b.call.index, ret.index],
    };
  }
  return undefined;
}

/** A cancel of the run, a closeUser of its user or a shutdown between its call and its return. */
function interrupted(analysis: Analysis, trace: RunTrace): boolean {
  const { run } = trace;
  const end = run.ret?.index ?? Number.POSITIVE_INFINITY;
  for (const call of analysis.view.calls.values()) {
    if (call.index <= run.call.index || call.index >= end) continue;
    const op = call.operation;
    if (op.op === "shutdown") return true;
    if (op.op === "closeUser" && op.userId === run.userId) return true;
    if (op.op === "cancel" && op.runId === run.runId) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------

function owner(analysis: Analysis): Verdict {
  const id = "ctx.owner";
  const found: Finding[] = [];
  let exercised = false;
  for (const trace of analysis.traces) {
    const { run } = trace;
    const connectionId = run.context.connectionId;
    if (typeof connectionId !== "string" || !hasValidContext(analysis, run)) continue;
    const connection = [...analysis.view.connections]
      .reverse()
      .find(
        (c) =>
          c.connectionId === connectionId &&
          c.attachIndex < run.call.index &&
          (c.detachIndex === undefined || c.detachIndex > run.call.index),
      );
    if (!connection) continue;
    if (connection.userId === run.userId) {
      if (trace.rejected && resultErrorCode(run) === ERROR_CODES.forbidden) {
        found.push({
          index: run.ret?.index ?? run.call.index,
          summary: `${executeName(run)} names its own connection ${connectionId} but was rejected as FORBIDDEN`,
          entries: [connection.attachIndex, run.call.index, ...(run.ret ? [run.ret.index] : [])],
        });
      }
      continue;
    }
    exercised = true;
    if (!run.ret && analysis.cut) continue;
    const label = `${executeName(run)} names connection ${connectionId} of user ${connection.userId}`;
    const refusal = refusalProblem(run);
    if (refusal) {
      found.push({
        index: run.ret?.index ?? run.call.index,
        summary: `${label} and ${refusal.replace(/^was /, "it was ")}`,
        entries: [connection.attachIndex, run.call.index, ...(run.ret ? [run.ret.index] : [])],
      });
      continue;
    }
    const after = leftBehind(analysis, trace, `${label} and was rejected`, false);
    if (after) found.push(after);
  }
  const v = earliest(found);
  if (v) return broken(id, v.summary, v.entries);
  return exercised ? held(id) : notChecked(id, "no execute named a connection of another user");
}
