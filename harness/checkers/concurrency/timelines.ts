/**
 * Run timelines, built once per history and shared by the concurrency, time, cancel and
 * cleanup checkers: each run's execute, start, terminal and return, by run id and by user.
 */
import type { CallEntry, History, HistoryEntry, ReturnEntry } from "../../run/history.ts";
import { type EventDelivery, type HistoryView, type RunView, viewOf } from "../view.ts";

/** A point of the history: its index and virtual time. */
export interface Mark {
  index: number;
  at: number;
}

export interface RunTimeline {
  run: RunView;
  runId: string;
  userId: string;
  call: CallEntry;
  ret?: ReturnEntry;
  /** The resolved status, when execute resolved to an object with a string status. */
  status?: string;
  /** Deliveries of this execute (mapped by runId, see `ownerOfRunId`), in history order. */
  deliveries: EventDelivery[];
  /** First live (not replayed) agent_started delivery. */
  startEvent?: EventDelivery;
  /** First runtime call of an agent invocation showing this run's context. */
  agentStart?: Mark;
  /** The agent invocation number of `agentStart`. */
  invocation?: number;
  /** Earliest precise start evidence: live agent_started or the agent's first runtime call. */
  start?: Mark;
  /** First terminal delivery (live or replayed). */
  terminal?: EventDelivery;
  /** Earliest end evidence: a terminal delivery or the execute's return. */
  end?: Mark;
}

export interface Timelines {
  view: HistoryView;
  runs: RunTimeline[];
  /** Timelines by runId, in execute order. */
  byRunId: Map<string, RunTimeline[]>;
  byUser: Map<string, RunTimeline[]>;
  /** `at` of every entry, by index. */
  ats: number[];
}

const timelineCache = new WeakMap<History, Timelines>();

export function timelinesOf(history: History): Timelines {
  const cached = timelineCache.get(history);
  if (cached) return cached;
  const built = buildTimelines(history);
  timelineCache.set(history, built);
  return built;
}

function markOf(entry: HistoryEntry): Mark {
  return { index: entry.index, at: entry.at };
}

function earliest(a: Mark | undefined, b: Mark | undefined): Mark | undefined {
  if (!a) return b;
  if (!b) return a;
  return a.index <= b.index ? a : b;
}

function statusOf(run: RunView): string | undefined {
  const status = run.result?.status;
  return typeof status === "string" ? status : undefined;
}

/**
 * The execute a frame or runtime call naming `runId` at history index `index` belongs to: the
 * latest execute of that runId issued before it, skipping ones already refused by then (a
 * refused duplicate must not steal the events of the run it duplicated).
 */
export function ownerOfRunId(
  byRunId: Map<string, RunTimeline[]>,
  runId: unknown,
  index: number,
  userId?: unknown,
  emittedAt?: unknown,
): RunTimeline | undefined {
  if (typeof runId !== "string") return undefined;
  const candidates = byRunId.get(runId);
  if (!candidates) return undefined;
  let fallback: RunTimeline | undefined;
  for (let i = candidates.length - 1; i >= 0; i -= 1) {
    const t = candidates[i] as RunTimeline;
    if (t.call.index >= index) continue;
    if (typeof userId === "string" && t.userId !== userId) continue;
    // A frame emitted (its `ts`) before this execute was issued belongs to an earlier run of
    // the same id, e.g. a replayed event of a finished run whose id was reused.
    if (typeof emittedAt === "number" && emittedAt < t.call.at && i > 0) continue;
    fallback ??= t;
    const refusedBefore = t.ret !== undefined && t.ret.index < index && t.status === "rejected";
    if (!refusedBefore) return t;
  }
  return fallback;
}

/**
 * A replayed frame says nothing of when it was emitted. When its user reused the runId, and the
 * frame's `ts` does not tell the runs apart, it could belong to either: it is left out.
 */
function replayIsAmbiguous(
  byRunId: Map<string, RunTimeline[]>,
  chosen: RunTimeline,
  delivery: EventDelivery,
): boolean {
  const ts = delivery.event.ts;
  return (byRunId.get(chosen.runId) ?? []).some(
    (other) =>
      other !== chosen &&
      other.userId === chosen.userId &&
      other.call.index < delivery.index &&
      !(
        other.status === "rejected" &&
        other.ret !== undefined &&
        other.ret.index < delivery.index
      ) &&
      (typeof ts !== "number" || (other.call.at <= ts && chosen.call.at <= ts)),
  );
}

function buildTimelines(history: History): Timelines {
  const view = viewOf(history);
  const entries = Array.isArray(history.entries) ? history.entries : [];
  const ats = entries.map((e) => (typeof e?.at === "number" ? e.at : 0));
  const runs: RunTimeline[] = [];
  const byRunId = new Map<string, RunTimeline[]>();
  const byUser = new Map<string, RunTimeline[]>();
  for (const run of view.runs) {
    const t: RunTimeline = {
      run,
      runId: String(run.runId),
      userId: String(run.userId),
      call: run.call,
      deliveries: [],
    };
    if (run.ret) t.ret = run.ret;
    const status = statusOf(run);
    if (status !== undefined) t.status = status;
    runs.push(t);
    const sameId = byRunId.get(t.runId) ?? [];
    sameId.push(t);
    byRunId.set(t.runId, sameId);
    const sameUser = byUser.get(t.userId) ?? [];
    sameUser.push(t);
    byUser.set(t.userId, sameUser);
  }
  for (const delivery of view.events) {
    // Prefer the run of the user the envelope names (runIds may be reused across users).
    const t =
      ownerOfRunId(
        byRunId,
        delivery.event.runId,
        delivery.index,
        delivery.event.userId,
        delivery.event.ts,
      ) ??
      ownerOfRunId(byRunId, delivery.event.runId, delivery.index, undefined, delivery.event.ts);
    if (!t) continue;
    if (delivery.event.replayed === true && replayIsAmbiguous(byRunId, t, delivery)) continue;
    t.deliveries.push(delivery);
    const type = delivery.event.type;
    if (type === "agent_started" && delivery.event.replayed !== true) t.startEvent ??= delivery;
    if (type === "agent_completed" || type === "agent_error") t.terminal ??= delivery;
  }
  const byInvocation = new Map<number, RunTimeline>();
  for (const entry of view.runtime) {
    if (entry.call === "tool-invoked") continue;
    const known = byInvocation.get(entry.invocation);
    if (known) continue;
    const t = ownerOfRunId(byRunId, entry.context?.runId, entry.index, entry.context?.userId);
    if (!t || t.agentStart) continue;
    t.agentStart = markOf(entry);
    t.invocation = entry.invocation;
    byInvocation.set(entry.invocation, t);
  }
  for (const t of runs) {
    const start = earliest(t.startEvent ? markOf(t.startEvent) : undefined, t.agentStart);
    if (start) t.start = start;
    const end = earliest(t.terminal ? markOf(t.terminal) : undefined, t.ret && markOf(t.ret));
    if (end) t.end = end;
  }
  return { view, runs, byRunId, byUser, ats };
}
