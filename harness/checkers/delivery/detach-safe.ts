/**
 * delivery.detach-safe: a connection detaching mid-run fails nothing; the run goes on, and the
 * user's other connections keep receiving it.
 */
import { contextProblem } from "../../contract/index.ts";
import type { CallEntry } from "../../run/history.ts";
import { broken, held, notChecked, type Verdict } from "../verdict.ts";
import type { EventDelivery, HistoryView, RunView } from "../view.ts";
import type { DeliveryIndex } from "./deliveries.ts";
import { predictsCompletion } from "./script.ts";
import { atMs, earliest, type Finding, statusOf } from "./shared.ts";

export function checkDetachSafe(view: HistoryView, index: DeliveryIndex): Verdict {
  const id = "delivery.detach-safe";
  const findings: Finding[] = [];
  let exercised = false;
  const incomplete = Boolean(view.history.failure || view.history.truncated);
  const calls = [...view.calls.values()].sort((a, b) => a.index - b.index);
  // The operations that may end a run. The runner's closing shutdown is one only for runs still
  // going when it came: the runner stops waiting at its horizon (4 run timeouts after the last
  // operation), and a run it cut short there was not failed by a detach.
  const disruptive = calls.filter((c) =>
    ["cancel", "closeUser", "shutdown"].includes(c.operation.op),
  );
  const judged = new Set<RunView>();
  for (const detach of calls) {
    const op = detach.operation;
    if (op.op !== "detach") continue;
    const d = detach.index;
    const gone = view.connections.find(
      (c) => c.detachIndex === d && c.connectionId === op.connectionId,
    );
    const goneName = `${op.connectionId}${gone ? ` of user ${gone.userId}` : ""}`;
    for (const run of view.runs) {
      const retIndex = run.ret?.index;
      if (run.call.index > d || (retIndex !== undefined && retIndex < d)) continue;
      // The run goes on: it completes as its script says.
      if (!judged.has(run) && completionExpected(view, run, disruptive)) {
        if (retIndex === undefined && incomplete) continue;
        judged.add(run);
        exercised = true;
        const status = statusOf(run);
        const hasOutput = run.result !== undefined && run.result.output !== undefined;
        if (status !== "completed" || !hasOutput) {
          const reason = status === "completed" ? "completed without an output" : `ended ${status}`;
          findings.push({
            at: retIndex ?? d,
            summary:
              `run ${run.runId} of user ${run.userId}, active when connection ${goneName} ` +
              `detached at ${atMs(view, d)}, ${reason}${errorText(run)} although its script ` +
              `completes`,
            entries: retIndex === undefined ? [run.call.index, d] : [run.call.index, d, retIndex],
          });
        }
      }
      // Connections that were receiving the run keep receiving it.
      if (retIndex === undefined) continue;
      const status = statusOf(run);
      if (status === "rejected" || status === "threw" || status === "malformed") continue;
      for (const c of index.connectionsOf.get(run.userId) ?? []) {
        const end = index.until.get(c);
        if (c.attachIndex > d || end === d) continue;
        if (end !== undefined && end <= retIndex) continue;
        const got = (index.byRun.get(run) ?? []).filter((e) => index.attachmentOf.get(e) === c);
        const before = got.filter((e) => e.index < d);
        if (before.length === 0) continue;
        exercised = true;
        if (got.some((e) => e.index > d)) continue;
        const last = before[before.length - 1] as EventDelivery;
        findings.push({
          at: retIndex,
          summary:
            `after connection ${goneName} detached at ${atMs(view, d)}, connection ` +
            `${c.connectionId} of user ${c.userId} received nothing more of run ${run.runId} ` +
            `(last: ${last.event.type} #${String(last.event.seq)}), though the run went on and ` +
            `ended ${status} at ${atMs(view, retIndex)}`,
          entries: [last.index, d, retIndex],
        });
      }
    }
  }
  const first = earliest(findings);
  if (first) return broken(id, first.summary, first.entries);
  return exercised
    ? held(id)
    : notChecked(id, "no connection detached while a run it could affect was active");
}

/** Whether the run should complete on its own: its script completes and nothing ends it. */
function completionExpected(view: HistoryView, run: RunView, disruptive: CallEntry[]): boolean {
  if (!predictsCompletion(run.request, view.history.limits)) return false;
  if (contextProblem(run.context) !== undefined) return false;
  const status = statusOf(run);
  if (status === "rejected") return false;
  if (run.context.connectionId !== undefined) {
    const c = view.connections.find(
      (x) =>
        x.connectionId === run.context.connectionId &&
        x.attachIndex < run.call.index &&
        (x.detachIndex === undefined || x.detachIndex > run.call.index),
    );
    if (!c || c.userId !== run.userId) return false;
  }
  // Another execute of the same runId may be refused or may disturb it; leave that to ctx.*.
  if ((view.executes.get(run.runId)?.length ?? 0) > 1) return false;
  const end = run.ret?.index ?? Number.POSITIVE_INFINITY;
  for (const call of disruptive) {
    if (call.index < run.call.index) continue;
    const op = call.operation;
    if (op.op === "cancel" && op.runId === run.runId) return false;
    if (call.index > end) continue;
    if (op.op === "closeUser" && op.userId === run.userId) return false;
    if (op.op === "shutdown") return false;
  }
  return true;
}

function errorText(run: RunView): string {
  const error = run.result?.error as { code?: unknown; message?: unknown } | undefined;
  if (run.ret?.threw) return ` (threw ${run.ret.threw.message})`;
  if (error && typeof error === "object") {
    const code = typeof error.code === "string" ? error.code : "";
    const message = typeof error.message === "string" ? error.message : "";
    if (code || message) return ` (${[code, message].filter(Boolean).join(": ")})`;
  }
  return "";
}
