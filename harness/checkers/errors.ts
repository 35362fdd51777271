import { idProblem } from "../contract/index.ts";
import type { CallEntry, History, ThrownError } from "../run/history.ts";
import {
  type Analysis,
  analyse,
  badRequest,
  contextIssue,
  describe,
  earliest,
  emittedFor,
  type Finding,
  forecast,
  idText,
  isRejectionCode,
  leftBehind,
  outcomeOf,
  payloadOf,
  type RunTrace,
  receiver,
  refusalProblem,
  runName,
  show,
} from "./events-stream.ts";
import { broken, held, notChecked, type Verdict } from "./verdict.ts";

const IDS = ["errors.contained", "errors.sanitized", "errors.bad-request"] as const;

export function checkErrors(history: History): Verdict[] {
  try {
    const analysis = analyse(history);
    return [contained(analysis), sanitized(analysis), badRequests(analysis)];
  } catch (error) {
    const reason = `the history could not be read: ${error instanceof Error ? error.message : String(error)}`;
    return IDS.map((id) => notChecked(id, reason));
  }
}

function thrown(error: ThrownError): string {
  return `${error.name} ${show(error.message)}`;
}

function callName(call: CallEntry): string {
  const op = call.operation;
  switch (op.op) {
    case "execute":
      return `the execute of run ${idText(op.context.runId)} of user ${idText(op.context.userId)}`;
    case "cancel":
      return `cancel(${show(op.runId)}, ${op.byUserId})`;
    case "closeUser":
      return `closeUser(${op.userId})`;
    case "attach":
      return `attach(${op.connectionId} of ${op.userId})`;
    case "detach":
      return `detach(${op.connectionId})`;
    default:
      return `${op.op}()`;
  }
}

// ---------------------------------------------------------------------------------------------
// errors.contained

interface Failure {
  index: number;
  what: string;
}

function contained(analysis: Analysis): Verdict {
  const id = "errors.contained";
  const found: Finding[] = [];
  const failures: Failure[] = [];
  for (const entry of analysis.history.entries) {
    if (entry.kind === "unhandled") {
      found.push({
        index: entry.index,
        summary: `an error escaped the engine (${entry.source}) at ${entry.at} ms: ${thrown(entry.error)}`,
        entries: [entry.index],
      });
      failures.push({ index: entry.index, what: `an escaped ${thrown(entry.error)}` });
    } else if (entry.kind === "return" && entry.threw && !isRejectionCode(entry.threw.code)) {
      const call = analysis.view.calls.get(entry.callId);
      const name = call ? callName(call) : `call ${entry.callId}`;
      found.push({
        index: entry.index,
        summary: `${name} threw ${thrown(entry.threw)} to its caller at ${entry.at} ms instead of containing it`,
        entries: [...(call ? [call.index] : []), entry.index],
      });
      failures.push({ index: entry.index, what: `${name} throwing` });
    }
  }
  for (const trace of analysis.traces) {
    const ret = trace.run.ret;
    if (ret && (trace.status === "error" || trace.status === "timeout")) {
      failures.push({ index: ret.index, what: `${runName(trace.run)} failing (${trace.status})` });
    }
    for (const e of trace.emissions) {
      const payload = payloadOf(e.event);
      if (e.event.type === "agent_error" && payload?.reason !== "cancelled") {
        failures.push({
          index: e.first.index,
          what: `${runName(trace.run)} failing (${describe(e)})`,
        });
      } else if (e.event.type === "tool_completed" && payload?.status !== "success") {
        failures.push({
          index: e.first.index,
          what: `a tool of ${runName(trace.run)} failing (${describe(e)})`,
        });
      }
    }
  }
  failures.sort((a, b) => a.index - b.index);
  const firstFailure = failures[0];
  if (firstFailure) {
    for (const trace of analysis.traces) {
      if (trace.run.call.index <= firstFailure.index) continue;
      const v = stoppedServing(analysis, trace, failures);
      if (v) found.push(v);
    }
  }
  const v = earliest(found);
  if (v) return broken(id, v.summary, v.entries);
  return firstFailure ? held(id) : notChecked(id, "no agent, tool or engine error happened");
}

/**
 * A run that any working engine completes, issued after a failure, that did not complete. Runs
 * that could be refused or held back for other reasons (a limit, a duplicate id, a cancel, a
 * closeUser, a shutdown) are not judged.
 */
function stoppedServing(
  analysis: Analysis,
  trace: RunTrace,
  failures: Failure[],
): Finding | undefined {
  const { run } = trace;
  const limits = analysis.history.limits;
  if (contextIssue(analysis, run) || badRequest(analysis, run)) return undefined;
  if (analysis.traces.some((t) => t !== trace && t.run.runId === run.runId)) return undefined;
  const connectionId = run.context.connectionId;
  if (
    connectionId !== undefined &&
    !analysis.view.connections.some(
      (c) =>
        c.connectionId === connectionId &&
        c.userId === run.userId &&
        c.attachIndex < run.call.index &&
        (c.detachIndex === undefined || c.detachIndex > run.call.index),
    )
  ) {
    return undefined; // names a connection that is not the user's own: ctx.owner may refuse it
  }
  const source = analysis.sourceOf(run.call);
  const input = source?.op === "execute" ? source.request.input : run.request.input;
  const script = forecast(input as never);
  if (script.fate !== "completes" || script.durationMs >= (limits?.runTimeoutMs ?? 0))
    return undefined;
  if (!run.ret && analysis.cut) return undefined;
  const end = run.ret?.index ?? Number.POSITIVE_INFINITY;
  for (const call of analysis.view.calls.values()) {
    const op = call.operation;
    if (call.index >= end) break;
    if (op.op === "shutdown" && !call.epilogue) return undefined;
    if (call.index <= run.call.index) continue;
    if (op.op === "closeUser" && op.userId === run.userId) return undefined;
    if (op.op === "cancel" && op.runId === run.runId) return undefined;
  }
  // Held back by a limit? Count the executes still unsettled when it was issued.
  const busy = analysis.traces.filter(
    (t) =>
      t !== trace &&
      !t.rejected &&
      t.run.call.index < run.call.index &&
      (!t.run.ret || t.run.ret.index > run.call.index),
  );
  if (busy.length >= (limits?.globalConcurrency ?? Number.POSITIVE_INFINITY)) return undefined;
  if (busy.filter((t) => t.run.userId === run.userId).length >= (limits?.perUserConcurrency ?? 1)) {
    return undefined;
  }
  if (trace.status === "completed") return undefined;
  const failure = [...failures].reverse().find((f) => f.index < run.call.index) as Failure;
  return {
    index: run.ret?.index ?? run.call.index,
    summary: `after ${failure.what}, ${runName(run)}, whose agent succeeds, ${outcomeOf(run)} instead of completing`,
    entries: [failure.index, run.call.index, ...(run.ret ? [run.ret.index] : [])],
  };
}

// ---------------------------------------------------------------------------------------------
// errors.sanitized

interface ErrorText {
  index: number;
  userId: string;
  text: string;
  /** `agent_error #4 of run r2 on connection c2`, `the error of run r2's result`. */
  where: string;
}

function sanitized(analysis: Analysis): Verdict {
  const id = "errors.sanitized";
  const texts = errorTexts(analysis);
  // The users taking part: those of the scenario and those with connections (not the invalid
  // ids of refused contexts, which are nobody's).
  const users = new Set<string>([...analysis.view.canaries.keys()]);
  for (const c of analysis.view.connections) users.add(c.userId);
  if (texts.length === 0) return notChecked(id, "no error message was sent to a user");
  if (users.size < 2) return notChecked(id, "only one user took part");
  const ownData = new Map<string, string>();
  for (const t of analysis.traces) {
    const userId = t.run.userId;
    if (typeof userId !== "string") continue;
    ownData.set(
      userId,
      `${ownData.get(userId) ?? ""}\n${safeJson(t.run.context)}\n${safeJson(t.run.request)}`,
    );
  }
  for (const item of texts) {
    const own = ownData.get(item.userId) ?? "";
    for (const other of users) {
      if (other === item.userId) continue;
      const canary = analysis.view.canaries.get(other);
      if (canary && item.text.includes(canary) && !own.includes(canary)) {
        return broken(
          id,
          `user ${item.userId} was sent ${item.where} carrying user ${other}'s canary ${canary}`,
          [item.index],
        );
      }
      if (
        other.length >= 2 &&
        idProblem(other) === undefined &&
        mentions(item.text, other) &&
        !mentions(own, other) &&
        !item.userId.includes(other)
      ) {
        return broken(
          id,
          `user ${item.userId} was sent ${item.where} naming another user, ${other}: ${show(item.text, 80)}`,
          [item.index],
        );
      }
    }
  }
  return held(id);
}

/** `name` occurs in `text` as a whole word (so that u1 is not found in u10). */
function mentions(text: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(?<![A-Za-z0-9_])${escaped}(?![A-Za-z0-9_])`).test(text);
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "";
  } catch {
    return "";
  }
}

/** Every error message the engine sent or returned to a user, with who got it. */
function errorTexts(analysis: Analysis): ErrorText[] {
  const texts: ErrorText[] = [];
  for (const delivery of analysis.view.events) {
    const payload = payloadOf(delivery.event);
    const where = `${describe(delivery)} on connection ${delivery.connectionId}`;
    if (delivery.event.type === "agent_error") {
      texts.push({
        index: delivery.index,
        userId: delivery.connectionUserId,
        text: safeJson(payload),
        where,
      });
    } else if (delivery.event.type === "tool_completed" && payload?.error !== undefined) {
      texts.push({
        index: delivery.index,
        userId: delivery.connectionUserId,
        text: safeJson(payload.error),
        where,
      });
    }
  }
  for (const entry of analysis.history.entries) {
    if (entry.kind !== "return") continue;
    const call = analysis.view.calls.get(entry.callId);
    if (!call) continue;
    const op = call.operation;
    const userId =
      op.op === "execute"
        ? op.context.userId
        : op.op === "cancel"
          ? op.byUserId
          : op.op === "closeUser"
            ? op.userId
            : undefined;
    if (typeof userId !== "string") continue;
    if (entry.threw) {
      texts.push({
        index: entry.index,
        userId,
        text: entry.threw.message,
        where: `the error thrown by ${callName(call)}`,
      });
    } else if (op.op === "execute" && typeof entry.value === "object" && entry.value !== null) {
      const error = (entry.value as Record<string, unknown>).error;
      if (error !== undefined) {
        texts.push({
          index: entry.index,
          userId,
          text: safeJson(error),
          where: `the error in the result of ${callName(call)}`,
        });
      }
    }
  }
  return texts.sort((a, b) => a.index - b.index);
}

// ---------------------------------------------------------------------------------------------
// errors.bad-request

function badRequests(analysis: Analysis): Verdict {
  const id = "errors.bad-request";
  const found: Finding[] = [];
  let exercised = false;
  for (const trace of analysis.traces) {
    const { run } = trace;
    if (contextIssue(analysis, run)) continue; // ctx.valid's
    const bad = badRequest(analysis, run);
    if (!bad) continue;
    exercised = true;
    if (!run.ret && analysis.cut) continue;
    const label = `${runName(run)} ${bad.why}`;
    const refusal = refusalProblem(run);
    if (refusal) {
      const delivery = emittedFor(analysis, trace);
      found.push({
        index: run.ret?.index ?? run.call.index,
        summary: `${label} and ${refusal.replace(/^was /, "it was ")}${delivery ? `; ${receiver(delivery)} received ${describe(delivery)}` : ""}`,
        entries: [run.call.index, ...(run.ret ? [run.ret.index] : [])],
      });
      continue;
    }
    const after = leftBehind(analysis, trace, `${label} and was rejected`, true);
    if (after) found.push(after);
  }
  const v = earliest(found);
  if (v) return broken(id, v.summary, v.entries);
  return exercised
    ? held(id)
    : notChecked(id, "no execute named an unknown agent or sent a non-JSON or oversize input");
}
