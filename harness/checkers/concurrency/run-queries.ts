/**
 * Questions about run timelines at a point of the history (started, ended, settled, active,
 * waiting, connected), active counts per instant, and runs in words.
 */
import type { History } from "../../run/history.ts";
import type { HistoryView } from "../view.ts";
import { ownerOfRunId, type RunTimeline, type Timelines } from "./timelines.ts";

/** The run a call or frame naming `runId` at history index `index` refers to, if any. */
export function runAt(
  timelines: Timelines,
  runId: unknown,
  index: number,
): RunTimeline | undefined {
  return ownerOfRunId(timelines.byRunId, runId, index);
}

/** Index of the first entry later in virtual time than `at` (entries.length when none). */
export function instantEnd(timelines: Timelines, at: number): number {
  const { ats } = timelines;
  let lo = 0;
  let hi = ats.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((ats[mid] as number) > at) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Orders runs by their start (runs without one last). */
export function byStart(a: RunTimeline, b: RunTimeline): number {
  return (a.start?.index ?? Infinity) - (b.start?.index ?? Infinity);
}

/** Whether run `t` is known to have started before history index `index`. */
export function startedBefore(t: RunTimeline, index: number): boolean {
  return t.start !== undefined && t.start.index < index;
}

/** Whether run `t` is known to have ended (terminal seen or execute returned) before `index`. */
export function endedBefore(t: RunTimeline, index: number): boolean {
  return t.end !== undefined && t.end.index < index;
}

/** Whether `t` had settled (execute returned) before `index`. */
export function settledBefore(t: RunTimeline, index: number): boolean {
  return t.ret !== undefined && t.ret.index < index;
}

/** Started and not known to have ended, just before `index` (an upper bound on "active"). */
export function possiblyActiveAt(t: RunTimeline, index: number): boolean {
  return startedBefore(t, index) && !endedBefore(t, index);
}

/** Issued, not started and not settled, just before `index`: waiting for a slot. */
export function waitingAt(t: RunTimeline, index: number): boolean {
  return t.call.index < index && !startedBefore(t, index) && !settledBefore(t, index);
}

/**
 * How many runs were possibly active, waiting, or surely-active candidates just before an
 * index, counted by binary search over sorted indexes: the checks below ask it for every run,
 * and a history of thousands of users has tens of thousands of runs.
 */
interface Counts {
  possiblyActive(index: number): number;
  waiting(index: number): number;
  /** An upper bound on the runs surelyActiveAt the start at `index` (started before, not ended). */
  maybeSurelyActive(index: number): number;
}

const countsCache = new WeakMap<Timelines, Counts>();

export function countsOf(tl: Timelines): Counts {
  const cached = countsCache.get(tl);
  if (cached) return cached;
  const sorted = (values: number[]) => values.sort((a, b) => a - b);
  const below = (values: readonly number[], x: number) => {
    let lo = 0;
    let hi = values.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((values[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const starts: number[] = [];
  const startedAndEnded: number[] = [];
  const calls: number[] = [];
  const calledAndMoved: number[] = [];
  const startedAndSurelyOver: number[] = [];
  for (const t of tl.runs) {
    calls.push(t.call.index);
    const moved = Math.min(t.start?.index ?? Infinity, t.ret?.index ?? Infinity);
    if (moved !== Infinity) calledAndMoved.push(Math.max(t.call.index, moved));
    if (!t.start) continue;
    starts.push(t.start.index);
    if (t.end) startedAndEnded.push(Math.max(t.start.index, t.end.index));
    const over = t.terminal?.index ?? t.ret?.index;
    // Started before i and over by i: max(start + 1, over) <= i.
    if (over !== undefined) startedAndSurelyOver.push(Math.max(t.start.index + 1, over));
  }
  for (const list of [starts, startedAndEnded, calls, calledAndMoved, startedAndSurelyOver]) {
    sorted(list);
  }
  const counts: Counts = {
    possiblyActive: (i) => below(starts, i) - below(startedAndEnded, i),
    waiting: (i) => below(calls, i) - below(calledAndMoved, i),
    maybeSurelyActive: (i) => below(starts, i) - below(startedAndSurelyOver, i + 1),
  };
  countsCache.set(tl, counts);
  return counts;
}

/** Whether `userId` had at least one connection attached at every index in [from, to]. */
export function connectedThroughout(
  view: HistoryView,
  userId: string,
  from: number,
  to: number,
): boolean {
  const spans = (view.connectionsByUser.get(userId) ?? [])
    .map((c) => [c.attachIndex, c.detachIndex ?? Number.POSITIVE_INFINITY] as const)
    .sort((a, b) => a[0] - b[0]);
  // Covered up to (exclusive) `reach`: a connection attached at index a covers (a, detach).
  let reach = from;
  for (const [attach, detach] of spans) {
    if (attach >= reach) break;
    if (detach > reach) reach = detach;
    if (reach > to) return true;
  }
  return reach > to;
}

export function describeRun(t: RunTimeline): string {
  return `run ${t.runId} (user ${t.userId})`;
}

/** The way a run ended, in words: "agent error", "timeout", "cancelled", ... */
export function endPath(t: RunTimeline): string {
  const event = t.terminal?.event;
  if (event?.type === "agent_completed") return "completed";
  if (event?.type === "agent_error") {
    const reason = (event.payload as { reason?: unknown } | null)?.reason;
    if (reason === "error") return toolFailed(t) ? "tool error" : "agent error";
    if (typeof reason === "string") return reason;
  }
  if (t.status === "error") return toolFailed(t) ? "tool error" : "agent error";
  return t.status ?? "unknown end";
}

function toolFailed(t: RunTimeline): boolean {
  return t.deliveries.some(
    (d) =>
      d.event.type === "tool_completed" &&
      (d.event.payload as { status?: unknown } | null)?.status === "error",
  );
}

export function listRuns(runs: readonly RunTimeline[]): string {
  return runs.map((r) => r.runId).join(", ");
}

export function cutShort(history: History): string | undefined {
  if (history.failure) return `the history was cut short (${history.failure.message})`;
  if (history.truncated) return `the history was cut short (${history.truncated})`;
  return undefined;
}
