/**
 * cancel.*: the owner's cancel ends an active run (agent_error `cancelled`, result `cancelled`)
 * or removes a queued one (result `cancelled`, no event ever) and returns true; anyone else's
 * cancel returns false and changes nothing; a cancel of a finished or unknown run returns false
 * and emits nothing. The run's state at the cancel is what the harness had seen by then.
 */
import type { CallEntry, History, ReturnEntry } from "../run/history.ts";
import {
  endedBefore,
  instantEnd,
  type RunTimeline,
  runAt,
  startedBefore,
  type Timelines,
  timelinesOf,
  waitingAt,
} from "./concurrency.ts";
import { broken, held, notChecked, type Verdict } from "./verdict.ts";
import { describeEvent, type EventDelivery } from "./view.ts";

type State = "active" | "queued" | "finished" | "unknown";

interface CancelCall {
  call: CallEntry;
  runId: string;
  by: string;
  ret?: ReturnEntry;
  run?: RunTimeline;
  state: State;
}

export function checkCancel(history: History): Verdict[] {
  let cancels: CancelCall[];
  let tl: Timelines;
  try {
    tl = timelinesOf(history);
    cancels = cancelCalls(tl);
  } catch (error) {
    const reason = `the checker could not read this history: ${String(error)}`;
    return [
      notChecked("cancel.owner", reason),
      notChecked("cancel.foreign", reason),
      notChecked("cancel.idempotent", reason),
    ];
  }
  return [
    guard("cancel.owner", () => owner(history, tl, cancels)),
    guard("cancel.foreign", () => foreign(history, cancels)),
    guard("cancel.idempotent", () => idempotent(tl, cancels)),
  ];
}

function guard(id: Verdict["id"], check: () => Verdict): Verdict {
  try {
    return check();
  } catch (error) {
    return notChecked(id, `the checker could not read this history: ${String(error)}`);
  }
}

function cancelCalls(tl: Timelines): CancelCall[] {
  const out: CancelCall[] = [];
  for (const call of tl.view.calls.values()) {
    const op = call.operation;
    if (op?.op !== "cancel") continue;
    const i = call.index;
    // Two accepted runs of one runId going at once are ctx.unique-run's defect: which one a
    // cancel meant cannot be told, so it is not judged. When a user reused the runId of
    // another user's finished run, the cancel targets the canceller's own run still going.
    const going = (tl.byRunId.get(String(op.runId)) ?? []).filter(
      (t) => t.call.index < i && t.status !== "rejected" && !endedBefore(t, i),
    );
    if (going.length > 1) continue;
    const own = going.filter((t) => t.userId === op.byUserId);
    const run = own[0] ?? runAt(tl, op.runId, i);
    let state: State = "unknown";
    if (run) {
      if (endedBefore(run, i)) state = "finished";
      else if (startedBefore(run, i)) state = "active";
      else if (waitingAt(run, i)) state = "queued";
      else state = "finished";
    }
    const item: CancelCall = { call, runId: String(op.runId), by: String(op.byUserId), state };
    const ret = tl.view.returns.get(call.callId);
    if (ret) item.ret = ret;
    if (run) item.run = run;
    out.push(item);
  }
  return out.sort((a, b) => a.call.index - b.call.index);
}

function returned(c: CancelCall): string {
  if (!c.ret) return "never returned";
  if (c.ret.threw) return `threw ${c.ret.threw.name}: ${c.ret.threw.message}`;
  return `returned ${JSON.stringify(c.ret.value) ?? "undefined"}`;
}

function label(c: CancelCall): string {
  return `cancel(${c.runId}, ${c.by})`;
}

function reasonOf(delivery: EventDelivery): unknown {
  const payload = delivery.event.payload;
  return typeof payload === "object" && payload !== null
    ? (payload as { reason?: unknown }).reason
    : undefined;
}

function isTerminal(d: EventDelivery): boolean {
  return d.event.type === "agent_completed" || d.event.type === "agent_error";
}

// cancel.owner ---------------------------------------------------------------------------------

function owner(history: History, tl: Timelines, cancels: CancelCall[]): Verdict {
  const id = "cancel.owner";
  let exercised = false;
  for (const c of cancels) {
    const run = c.run;
    if (!run || c.by !== run.userId || (c.state !== "active" && c.state !== "queued")) continue;
    exercised = true;
    const i = c.call.index;
    const what = `user ${c.by} cancelled their own ${c.state} run ${c.runId}`;
    if (c.ret && (c.ret.threw || c.ret.value !== true)) {
      return broken(id, `${what}, but ${label(c)} ${returned(c)} instead of true`, [
        i,
        c.ret.index,
      ]);
    }
    const by = instantEnd(tl, c.call.at);
    const after = run.deliveries.filter((d) => d.index > i);
    if (c.state === "queued") {
      const emitted = after[0];
      if (emitted) {
        return broken(
          id,
          `${what}, but the run was not removed: ${describeEvent(emitted)} was delivered to connection ${emitted.connectionId} afterwards`,
          [i, emitted.index],
        );
      }
      if (run.agentStart && run.agentStart.index > i) {
        return broken(id, `${what}, but its agent was started anyway at ${run.agentStart.at} ms`, [
          i,
          run.agentStart.index,
        ]);
      }
    } else {
      const terminal = after.find((d) => isTerminal(d) && d.event.replayed !== true);
      if (
        terminal &&
        (terminal.event.type !== "agent_error" || reasonOf(terminal) !== "cancelled")
      ) {
        return broken(
          id,
          `${what}, but the run ended with ${describeEvent(terminal)}${terminal.event.type === "agent_error" ? ` reason ${String(reasonOf(terminal))}` : ""} instead of agent_error reason cancelled`,
          [i, terminal.index],
        );
      }
      const ended = Math.min(terminal?.index ?? Infinity, run.ret?.index ?? Infinity);
      if (ended >= by && !(history.failure || history.truncated)) {
        const later =
          ended === Infinity
            ? "it never ended"
            : `it ended only at ${history.entries[ended]?.at} ms`;
        return broken(id, `${what} at ${c.call.at} ms, but the run was not ended then: ${later}`, [
          i,
          ...(ended === Infinity ? [] : [ended]),
        ]);
      }
    }
    if (run.ret && !run.ret.threw && run.status !== "cancelled") {
      return broken(
        id,
        `${what}, but its execute resolved ${run.status ?? "without a status"} instead of cancelled`,
        [i, run.ret.index],
      );
    }
  }
  return exercised ? held(id) : notChecked(id, "no owner cancelled an active or queued run");
}

// cancel.foreign -------------------------------------------------------------------------------

/** Something other than a foreign cancel that may end `run` as cancelled after `index`. */
function legitimateCancel(history: History, run: RunTimeline, index: number, until: number) {
  return history.entries.some((e) => {
    if (e.kind !== "call" || e.index <= index || e.index > until) return false;
    const op = e.operation;
    return (
      (op?.op === "cancel" && op.runId === run.runId && op.byUserId === run.userId) ||
      (op?.op === "closeUser" && op.userId === run.userId) ||
      op?.op === "shutdown"
    );
  });
}

function foreign(history: History, cancels: CancelCall[]): Verdict {
  const id = "cancel.foreign";
  let exercised = false;
  for (const c of cancels) {
    const run = c.run;
    if (!run || c.by === run.userId) continue;
    exercised = true;
    const i = c.call.index;
    const what = `user ${c.by} tried to cancel ${c.state} run ${c.runId} of user ${run.userId}`;
    if (c.ret && (c.ret.threw || c.ret.value !== false)) {
      return broken(id, `${what}, and ${label(c)} ${returned(c)} instead of false`, [
        i,
        c.ret.index,
      ]);
    }
    if (c.state !== "active" && c.state !== "queued") continue;
    const terminal = run.deliveries.find((d) => d.index > i && isTerminal(d));
    const cancelledEvent =
      terminal?.event.type === "agent_error" && reasonOf(terminal) === "cancelled"
        ? terminal
        : undefined;
    const cancelledResult = run.ret && run.ret.index > i && run.status === "cancelled";
    if (!cancelledEvent && !cancelledResult) continue;
    const endIndex = Math.min(cancelledEvent?.index ?? Infinity, run.ret?.index ?? Infinity);
    if (legitimateCancel(history, run, i, endIndex)) continue;
    const how = cancelledEvent
      ? `${describeEvent(cancelledEvent)} (reason cancelled) reached connection ${cancelledEvent.connectionId}`
      : "its execute resolved cancelled";
    return broken(id, `${what}, and the run was cancelled: ${how}`, [
      i,
      ...(Number.isFinite(endIndex) ? [endIndex] : []),
    ]);
  }
  return exercised ? held(id) : notChecked(id, "no user cancelled another user's run");
}

// cancel.idempotent ----------------------------------------------------------------------------

function idempotent(tl: Timelines, cancels: CancelCall[]): Verdict {
  const id = "cancel.idempotent";
  let exercised = false;
  for (const c of cancels) {
    if (c.state !== "finished" && c.state !== "unknown") continue;
    exercised = true;
    const i = c.call.index;
    const what =
      c.state === "finished"
        ? `${label(c)} of run ${c.runId}, already finished${c.run?.status ? ` (${c.run.status})` : ""},`
        : `${label(c)} of unknown run ${c.runId}`;
    if (c.ret && (c.ret.threw || c.ret.value !== false)) {
      return broken(id, `${what} ${returned(c)} instead of false`, [i, c.ret.index]);
    }
    // Emits nothing: no new event of that runId in the cancel's instant, and no cancelled terminal.
    const by = instantEnd(tl, c.call.at);
    const next = (tl.byRunId.get(c.runId) ?? []).find((r) => r.call.index > i)?.call.index;
    const emitted = tl.view.events.find(
      (d) =>
        d.index > i &&
        (next === undefined || d.index < next) &&
        d.event.runId === c.runId &&
        d.event.replayed !== true &&
        (d.index < by || (d.event.type === "agent_error" && reasonOf(d) === "cancelled")),
    );
    if (emitted) {
      return broken(
        id,
        `${what} emitted ${describeEvent(emitted)}, delivered to connection ${emitted.connectionId}`,
        [i, emitted.index],
      );
    }
  }
  return exercised ? held(id) : notChecked(id, "no cancel of a finished or unknown run");
}
