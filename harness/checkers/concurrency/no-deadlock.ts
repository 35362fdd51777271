/**
 * concurrency.no-deadlock: execute, cancel, closeUser and shutdown always settle.
 */
import type { CallEntry, History } from "../../run/history.ts";
import { broken, held, notChecked, type Verdict } from "../verdict.ts";
import { viewOf } from "../view.ts";
import { cutShort, settledBefore } from "./run-queries.ts";
import { limitOf } from "./shared.ts";
import type { RunTimeline, Timelines } from "./timelines.ts";

const SETTLING_OPS = new Set(["execute", "cancel", "closeUser", "shutdown"]);

function describeCall(history: History, call: CallEntry, tl: Timelines): string {
  const op = call.operation;
  switch (op?.op) {
    case "execute": {
      const r = tl.runs.find((x) => x.call === call);
      return `execute of run ${r?.runId ?? "?"} (user ${r?.userId ?? "?"})`;
    }
    case "cancel":
      return `cancel(${op.runId}, ${op.byUserId})`;
    case "closeUser": {
      const during = runsPendingAt(tl, call.index)
        .filter((r) => r.userId === op.userId)
        .map((r) => r.runId);
      const cleanup = otherCleanupPending(history, call);
      const notes = [
        during.length > 0 ? `during run ${during.join(", ")}` : "",
        cleanup ? `while ${cleanup} was still running` : "",
      ].filter(Boolean);
      return `closeUser(${op.userId})${notes.length > 0 ? ` called ${notes.join(" and ")}` : ""}`;
    }
    case "shutdown":
      return call.epilogue ? "the closing shutdown() issued by the runner" : "shutdown()";
    default:
      return `call #${call.callId}`;
  }
}

function runsPendingAt(tl: Timelines, index: number): RunTimeline[] {
  return tl.runs.filter((r) => r.call.index < index && !settledBefore(r, index));
}

function otherCleanupPending(history: History, call: CallEntry): string | undefined {
  const view = viewOf(history);
  for (const other of view.calls.values()) {
    if (other === call || other.index >= call.index) continue;
    const op = other.operation?.op;
    if (op !== "closeUser" && op !== "shutdown") continue;
    const ret = view.returns.get(other.callId);
    if (ret && ret.index < call.index) continue;
    return op === "closeUser" ? `closeUser(${other.operation.userId})` : "shutdown()";
  }
  return undefined;
}

export function noDeadlock(history: History, tl: Timelines): Verdict {
  const id = "concurrency.no-deadlock";
  const view = tl.view;
  const timeout = limitOf(history, "runTimeoutMs");
  const cut = cutShort(history);
  let first: { index: number; verdict: Verdict } | undefined;
  const found = (index: number, verdict: Verdict) => {
    if (!first || index < first.index) first = { index, verdict };
  };
  // An execute that started must settle within runTimeoutMs of its start.
  for (const r of tl.runs) {
    if (!r.start || !r.ret) continue;
    const due = r.start.at + timeout;
    if (r.ret.at <= due) continue;
    found(
      r.start.index,
      broken(
        id,
        `execute of run ${r.runId} (user ${r.userId}) settled at ${r.ret.at} ms, ${r.ret.at - r.start.at} ms after its start at ${r.start.at} ms (runTimeoutMs ${timeout})`,
        [r.start.index, r.ret.index],
      ),
    );
  }
  // Every execute, cancel, closeUser and shutdown settles (unless the history was cut short).
  let calls = 0;
  const stuck: CallEntry[] = [];
  for (const call of [...view.calls.values()].sort((a, b) => a.index - b.index)) {
    if (!SETTLING_OPS.has(call.operation?.op)) continue;
    calls += 1;
    if (!view.returns.has(call.callId) && !cut) stuck.push(call);
  }
  const firstStuck = stuck[0];
  if (firstStuck) {
    const rest = stuck.slice(1);
    const cleanups = rest
      .filter((c) => c.operation?.op !== "execute")
      .map((c) => describeCall(history, c, tl));
    const executes = rest
      .filter((c) => c.operation?.op === "execute")
      .map((c) => tl.runs.find((r) => r.call === c)?.runId ?? "?");
    const nor = [
      ...cleanups,
      ...(executes.length > 0
        ? [`the execute${executes.length > 1 ? "s" : ""} of run ${executes.join(", ")}`]
        : []),
    ];
    found(
      firstStuck.index,
      broken(
        id,
        `${describeCall(history, firstStuck, tl)} never settled${nor.length > 0 ? `; nor did ${nor.join(", ")}` : ""}`,
        stuck.map((c) => c.index),
      ),
    );
  }
  if (first) return first.verdict;
  if (cut) return notChecked(id, cut);
  return calls > 0 ? held(id) : notChecked(id, "no execute, cancel, closeUser or shutdown call");
}
