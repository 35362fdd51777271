/**
 * cleanup.*: nothing outlives its owner. Runs and users are checked with the retention report
 * (weak references after forced garbage collection) and with stats(); shutdown with the
 * executes it must have settled and the timers and resources left behind; stats() against
 * what the harness itself saw at the same instant.
 */
import type { CallEntry, History, RetainedObject, StatsEntry } from "../run/history.ts";
import {
  connectedThroughout,
  possiblyActiveAt,
  type RunTimeline,
  settledBefore,
  type Timelines,
  timelinesOf,
  waitingAt,
} from "./concurrency.ts";
import { broken, held, notChecked, type RetainerFinding, type Verdict } from "./verdict.ts";

export function checkCleanup(history: History): Verdict[] {
  return [
    guard("cleanup.run", () => cleanupRun(history)),
    guard("cleanup.user", () => cleanupUser(history)),
    guard("cleanup.shutdown", () => cleanupShutdown(history)),
    guard("cleanup.stats", () => cleanupStats(history)),
  ];
}

function guard(id: Verdict["id"], check: () => Verdict): Verdict {
  try {
    return check();
  } catch (error) {
    return notChecked(id, `the checker could not read this history: ${String(error)}`);
  }
}

const KIND_WORDS: Record<RetainedObject["kind"], string> = {
  context: "context",
  request: "request",
  input: "input",
  connection: "connection",
  runtime: "agent runtime",
  "tool-result": "tool result",
};

function retentionState(history: History): { checked: boolean; reason: string } {
  const retention = history.retention;
  if (retention?.checked !== true) {
    return { checked: false, reason: retention?.reason ?? "retention was not checked" };
  }
  return { checked: true, reason: "" };
}

function retainedList(history: History): RetainedObject[] {
  const list = history.retention?.retained;
  return Array.isArray(list) ? list : [];
}

/** Who holds the objects retained `after` this: one finding per path shape, most frequent first. */
function retainersOf(history: History, after: RetainedObject["after"]): RetainerFinding[] {
  const clusters = history.retention?.clusters;
  if (!Array.isArray(clusters)) return [];
  return clusters
    .filter((c) => c.after === after)
    .map((c) => ({ path: c.example, count: c.count, kinds: [...c.kinds] }));
}

/**
 * A broken verdict whose witness carries who holds what was retained (the paths are long: the
 * reports print them under the summary, not in it).
 */
function retainedBreak(
  id: Verdict["id"],
  summary: string,
  entries: number[] | undefined,
  findings: RetainerFinding[],
): Verdict {
  const verdict = broken(id, summary, entries);
  if (verdict.verdict === "broken" && findings.length > 0) verdict.witness.retainers = findings;
  return verdict;
}

/** Calls of the scenario (not the runner's closing shutdown). */
function scenarioCalls(tl: Timelines): CallEntry[] {
  return [...tl.view.calls.values()].filter((c) => !c.epilogue).sort((a, b) => a.index - b.index);
}

// cleanup.run ----------------------------------------------------------------------------------

function cleanupRun(history: History): Verdict {
  const id = "cleanup.run";
  const tl = timelinesOf(history);
  const retention = retentionState(history);
  if (!retention.checked) return notChecked(id, retention.reason);
  const retained = retainedList(history).filter((r) => r.after === "run-end");
  const first = retained[0];
  if (first) {
    const sameRun = retained.filter((r) => r.runId === first.runId && r.userId === first.userId);
    const kinds = [...new Set(sameRun.map((r) => KIND_WORDS[r.kind] ?? String(r.kind)))];
    const run = (tl.byRunId.get(String(first.runId)) ?? []).find((t) => t.userId === first.userId);
    const others = new Set(retained.map((r) => `${r.userId}/${r.runId}`)).size - 1;
    return retainedBreak(
      id,
      `after ${first.runId === undefined ? "a run" : `run ${first.runId}`} of user ${first.userId} ended and its execute settled, the engine still held its ${kinds.join(", ")} (found by weak reference after forced garbage collection)${others > 0 ? `; ${others} other run(s) too` : ""}`,
      run ? [run.call.index, ...(run.ret ? [run.ret.index] : [])] : undefined,
      retainersOf(history, "run-end"),
    );
  }
  const epilogue = [...tl.view.calls.values()].find((c) => c.epilogue)?.index ?? Infinity;
  const settled = tl.runs.some((t) => t.ret && t.ret.index < epilogue);
  return settled ? held(id) : notChecked(id, "no execute settled before the retention check");
}

// cleanup.user ---------------------------------------------------------------------------------

/** Whether user `userId` did anything (attach, execute, cancel) between two history indexes. */
function userActed(tl: Timelines, userId: string, after: number, before: number): boolean {
  for (const call of tl.view.calls.values()) {
    if (call.index <= after || call.index >= before || call.epilogue) continue;
    const op = call.operation;
    if (
      (op?.op === "attach" && op.userId === userId) ||
      (op?.op === "execute" && op.context?.userId === userId) ||
      (op?.op === "cancel" && op.byUserId === userId)
    ) {
      return true;
    }
  }
  return false;
}

function statsEntries(history: History): StatsEntry[] {
  return history.entries.filter((e): e is StatsEntry => e.kind === "stats");
}

function hasOwn(record: unknown, key: string): boolean {
  return typeof record === "object" && record !== null && Object.hasOwn(record, key);
}

function cleanupUser(history: History): Verdict {
  const id = "cleanup.user";
  const tl = timelinesOf(history);
  const closes = scenarioCalls(tl).filter((c) => c.operation?.op === "closeUser");
  const returned = closes.filter((c) => tl.view.returns.has(c.callId));
  // A closeUser that never returns releases nothing: the user's session is never over.
  const stuck = closes.find((c) => !tl.view.returns.has(c.callId));
  if (stuck) {
    const userId = String((stuck.operation as { userId?: unknown }).userId);
    return broken(
      id,
      `closeUser(${userId}), called at ${stuck.at} ms, never returned: nothing of user ${userId} was released`,
      [stuck.index],
    );
  }
  if (returned.length === 0) {
    return notChecked(
      id,
      closes.length > 0 ? "no closeUser call returned" : "no closeUser call in the scenario",
    );
  }
  const all = statsEntries(history);
  // stats(): nothing of U once closeUser(U) returned, until U does something again.
  for (const call of returned) {
    const userId = String((call.operation as { userId?: unknown }).userId);
    const ret = tl.view.returns.get(call.callId);
    if (!ret) continue;
    for (const entry of all) {
      if (entry.index <= ret.index) continue;
      if (userActed(tl, userId, call.index, entry.index)) break;
      const stats = (entry.stats ?? {}) as unknown as Record<string, unknown>;
      const users = Array.isArray(stats.users) ? (stats.users as unknown[]) : [];
      const inUsers = users.includes(userId);
      const perUser = hasOwn(stats.perUser, userId)
        ? (stats.perUser as Record<string, unknown>)[userId]
        : undefined;
      if (!inUsers && perUser === undefined) continue;
      const shown = [
        inUsers ? "in users" : "",
        perUser !== undefined ? `in perUser as ${JSON.stringify(perUser)}` : "",
      ].filter(Boolean);
      return broken(
        id,
        `after closeUser(${userId}) returned at ${ret.at} ms, ${entry.probe ? "a stats() probe" : "stats()"} at ${entry.at} ms still showed user ${userId} (${shown.join(" and ")})`,
        [call.index, ret.index, entry.index],
      );
    }
  }
  // Reachability: nothing held for a closed user who did nothing since.
  const retention = retentionState(history);
  if (retention.checked) {
    const epilogue = [...tl.view.calls.values()].find((c) => c.epilogue)?.index ?? Infinity;
    for (const object of retainedList(history)) {
      if (object.after !== "close-user") continue;
      const last = [...returned]
        .reverse()
        .find((c) => (c.operation as { userId?: unknown }).userId === object.userId);
      if (!last || userActed(tl, object.userId, last.index, epilogue)) continue;
      const what =
        object.kind === "connection"
          ? `a connection of user ${object.userId}`
          : `the ${KIND_WORDS[object.kind] ?? String(object.kind)} of user ${object.userId}'s run ${object.runId ?? "?"}`;
      return retainedBreak(
        id,
        `after closeUser(${object.userId}) the engine still held ${what} (found by weak reference after forced garbage collection)`,
        [last.index],
        retainersOf(history, "close-user"),
      );
    }
  }
  const probed = returned.some((call) => {
    const ret = tl.view.returns.get(call.callId);
    return ret !== undefined && all.some((e) => e.index > ret.index);
  });
  if (!retention.checked) return notChecked(id, retention.reason);
  return probed ? held(id) : notChecked(id, "no stats() after closeUser returned");
}

// cleanup.shutdown -----------------------------------------------------------------------------

/** The longest step that ignores its abort signal: the harness's own timer may outlive a run. */
function longestIgnoredStep(history: History): number {
  let longest = 0;
  const visit = (step: unknown) => {
    if (typeof step !== "object" || step === null) return;
    const s = step as Record<string, unknown>;
    if (Array.isArray(s.parallel)) for (const inner of s.parallel) visit(inner);
    if (s.ignoreAbort !== true) return;
    for (const key of ["sleep", "delayMs"]) {
      const value = s[key];
      if (typeof value === "number" && value > longest) longest = value;
    }
  };
  for (const op of history.scenario?.ops ?? []) {
    if (op.op !== "execute") continue;
    const steps = (op.request?.input as { steps?: unknown } | null)?.steps;
    if (Array.isArray(steps)) for (const step of steps) visit(step);
  }
  return longest;
}

function cleanupShutdown(history: History): Verdict {
  const id = "cleanup.shutdown";
  const tl = timelinesOf(history);
  const shutdown = [...tl.view.calls.values()]
    .sort((a, b) => a.index - b.index)
    .find((c) => c.operation?.op === "shutdown");
  if (!shutdown) {
    return notChecked(
      id,
      history.failure ? `no shutdown: ${history.failure.message}` : "no shutdown call",
    );
  }
  const name = shutdown.epilogue ? "the closing shutdown()" : "shutdown()";
  const ret = tl.view.returns.get(shutdown.callId);
  if (!ret) {
    if (history.failure || history.truncated) return notChecked(id, "the history was cut short");
    return broken(id, `${name}, called at ${shutdown.at} ms, never returned`, [shutdown.index]);
  }
  // Every execute issued before shutdown returned has settled by then (the same instant).
  for (const t of tl.runs) {
    if (t.call.index > ret.index) continue;
    if (t.ret && t.ret.at <= ret.at) continue;
    const when = t.ret ? `it settled only at ${t.ret.at} ms` : "it never settled";
    return broken(
      id,
      `after ${name} returned at ${ret.at} ms, execute of run ${t.runId} (user ${t.userId}) had not settled: ${when}`,
      [t.call.index, shutdown.index, ret.index, ...(t.ret ? [t.ret.index] : [])],
    );
  }
  if (history.failure || history.truncated) {
    return notChecked(id, "the history was cut short: leftovers are unknown");
  }
  const leftovers = history.leftovers ?? { virtualTimers: 0, resources: [] };
  const resources = Array.isArray(leftovers.resources) ? leftovers.resources : [];
  const named = Array.isArray(leftovers.named) ? leftovers.named : [];
  if (resources.length > 0 || named.length > 0) {
    const what = resources.length > 0 ? resources.join(", ") : "none counted by Node";
    return broken(
      id,
      `after ${name} the engine left real resources active: ${what}${named.length > 0 ? ` (${named.join(", ")})` : ""}`,
      [shutdown.index, ret.index],
    );
  }
  const timers = typeof leftovers.virtualTimers === "number" ? leftovers.virtualTimers : 0;
  const timeout = history.limits?.runTimeoutMs ?? 0;
  // A step that ignores abort and outlasts the runner's horizon leaves the harness's own timer.
  const harnessMayLeave = longestIgnoredStep(history) > 3 * timeout;
  if (timers > 0 && !harnessMayLeave) {
    return broken(
      id,
      `after ${name} ${timers} timer(s) set by the engine on the clock were still pending`,
      [shutdown.index, ret.index],
    );
  }
  const retained = retainedList(history).filter((r) => r.after === "shutdown");
  const first = retained[0];
  if (first) {
    const what =
      first.kind === "connection"
        ? `a connection of user ${first.userId}`
        : `the ${KIND_WORDS[first.kind] ?? String(first.kind)} of user ${first.userId}'s run ${first.runId ?? "?"}`;
    const others = retained.length - 1;
    return retainedBreak(
      id,
      `after ${name} returned the engine still held ${what}${others > 0 ? ` and ${others} other object(s) it was handed` : ""} (found by weak reference after forced garbage collection)`,
      [shutdown.index, ret.index],
      retainersOf(history, "shutdown"),
    );
  }
  return held(id);
}

// cleanup.stats --------------------------------------------------------------------------------

interface Counts {
  active: RunTimeline[];
  queued: RunTimeline[];
}

function numberField(record: unknown, key: string): number | undefined {
  if (typeof record !== "object" || record === null) return undefined;
  const value = (record as Record<string, unknown>)[key];
  return typeof value === "number" ? value : undefined;
}

function countsAt(runs: readonly RunTimeline[], index: number): Counts {
  return {
    active: runs.filter((t) => possiblyActiveAt(t, index)),
    queued: runs.filter((t) => waitingAt(t, index)),
  };
}

function names(runs: readonly RunTimeline[]): string {
  return runs.length > 0 ? ` (${runs.map((t) => t.runId).join(", ")})` : "";
}

/**
 * Whether what the harness saw of `userId` at `index` is exact: every run of the user still
 * unsettled was issued while a connection was attached, and one stayed attached since, so its
 * start and terminal would have been delivered.
 */
function observedExactly(tl: Timelines, userId: string, index: number): boolean {
  const runs = tl.byUser.get(userId) ?? [];
  return runs
    .filter((t) => t.call.index < index && !settledBefore(t, index))
    .every((t) => connectedThroughout(tl.view, userId, t.call.index, index));
}

function cleanupStats(history: History): Verdict {
  const id = "cleanup.stats";
  const tl = timelinesOf(history);
  let compared = false;
  for (const entry of statsEntries(history)) {
    const i = entry.index;
    const stats = entry.stats as unknown;
    const when = `${entry.probe ? "a stats() probe" : "stats()"} at ${entry.at} ms`;
    const total = {
      active: numberField(stats, "activeRuns"),
      queued: numberField(stats, "queuedRuns"),
    };
    if (total.active === undefined || total.queued === undefined) {
      return broken(id, `${when} returned no numeric activeRuns and queuedRuns`, [i]);
    }
    const perUser = (stats as { perUser?: unknown }).perUser;
    let allExact = true;
    const sum = { active: 0, queued: 0 };
    for (const [userId, runs] of tl.byUser) {
      const seen = countsAt(runs, i);
      sum.active += seen.active.length;
      sum.queued += seen.queued.length;
      if (!observedExactly(tl, userId, i)) {
        allExact = false;
        continue;
      }
      if (!runs.some((t) => t.call.index < i)) continue;
      compared = true;
      const own = hasOwn(perUser, userId)
        ? (perUser as Record<string, unknown>)[userId]
        : undefined;
      const said = {
        active: own === undefined ? 0 : numberField(own, "activeRuns"),
        queued: own === undefined ? 0 : numberField(own, "queuedRuns"),
      };
      if (said.active === seen.active.length && said.queued === seen.queued.length) continue;
      return broken(
        id,
        `${when} said user ${userId} had ${String(said.active)} active and ${String(said.queued)} queued run(s), but the harness saw ${seen.active.length} active${names(seen.active)} and ${seen.queued.length} queued${names(seen.queued)}`,
        [
          ...seen.active.map((t) => (t.start ? t.start.index : t.call.index)),
          ...seen.queued.map((t) => t.call.index),
          i,
        ],
      );
    }
    // bufferedEvents: a user connected since before their first run never had anything to buffer.
    for (const [userId, runs] of tl.byUser) {
      const firstCall = runs[0]?.call.index;
      if (firstCall === undefined || firstCall >= i) continue;
      if (!connectedThroughout(tl.view, userId, firstCall, i)) continue;
      const own = hasOwn(perUser, userId)
        ? (perUser as Record<string, unknown>)[userId]
        : undefined;
      const buffered = own === undefined ? 0 : numberField(own, "bufferedEvents");
      if (buffered === undefined || buffered === 0) continue;
      return broken(
        id,
        `${when} said user ${userId} had ${buffered} buffered event(s), but ${userId} had a connection attached from before their first run, so nothing was emitted while they had none`,
        [firstCall, i],
      );
    }
    if (!allExact) continue;
    if (tl.runs.some((t) => t.call.index < i)) compared = true;
    if (total.active !== sum.active || total.queued !== sum.queued) {
      const quiet = sum.active === 0 && sum.queued === 0;
      return broken(
        id,
        `${when} said ${total.active} active and ${total.queued} queued run(s) in all, but the harness saw ${sum.active} active and ${sum.queued} queued${quiet ? " (every execute had settled)" : ""}`,
        [i],
      );
    }
  }
  return compared ? held(id) : notChecked(id, "no stats() taken after a run was executed");
}
