/**
 * concurrency.*: how many runs of a user (and of everyone) are active at once, in what order
 * waiting runs start, whether slots come back after every kind of end, and whether every call
 * settles. Also home of the run timelines the time, cancel and cleanup checkers share.
 *
 * What the harness can see of a run: its execute call and return, the events delivered for it,
 * and the agent's own runtime calls (recorded whatever connection the user has). A run's
 * *start* is the earliest of its live `agent_started` delivery and its agent's first runtime
 * call; its *end* is the earliest of any terminal delivery and its execute's return. Every rule
 * below is written so that what could not be observed never counts against the engine.
 */
import type { CallEntry, History, HistoryEntry, ReturnEntry } from "../run/history.ts";
import { broken, held, notChecked, type Verdict } from "./verdict.ts";
import { type EventDelivery, type HistoryView, type RunView, viewOf } from "./view.ts";

// ---------------------------------------------------------------------------------------------
// Run timelines (shared by concurrency, time, cancel and cleanup)
// ---------------------------------------------------------------------------------------------

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
function ownerOfRunId(
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

function countsOf(tl: Timelines): Counts {
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

function listRuns(runs: readonly RunTimeline[]): string {
  return runs.map((r) => r.runId).join(", ");
}

function cutShort(history: History): string | undefined {
  if (history.failure) return `the history was cut short (${history.failure.message})`;
  if (history.truncated) return `the history was cut short (${history.truncated})`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The checker
// ---------------------------------------------------------------------------------------------

export function checkConcurrency(history: History): Verdict[] {
  return [
    guard("concurrency.per-user-limit", () => perUserLimit(history, timelinesOf(history))),
    guard("concurrency.fairness", () => fairness(history, timelinesOf(history))),
    guard("concurrency.permit-release", () => permitRelease(history, timelinesOf(history))),
    guard("concurrency.no-deadlock", () => noDeadlock(history, timelinesOf(history))),
  ];
}

function guard(id: Verdict["id"], check: () => Verdict): Verdict {
  try {
    return check();
  } catch (error) {
    return notChecked(id, `the checker could not read this history: ${String(error)}`);
  }
}

function limitOf(history: History, key: "perUserConcurrency" | "globalConcurrency"): number;
function limitOf(history: History, key: "maxQueuedPerUser" | "runTimeoutMs"): number;
function limitOf(history: History, key: keyof History["limits"]): number {
  const value = history.limits?.[key];
  return typeof value === "number" && Number.isFinite(value) ? value : Number.POSITIVE_INFINITY;
}

/**
 * Whether run `q` was certainly between its start and its terminal at the start `s` of another
 * run: it started earlier, its user had a connection all along (so a terminal would have been
 * delivered), and it had no terminal by then. A run that never emits a terminal counts as ended
 * once its execute settles, and anywhere within that instant (the engine may have let go of its
 * slot a few steps before the result was recorded).
 */
export function surelyActiveAt(tl: Timelines, q: RunTimeline, s: Mark): boolean {
  if (!q.start || q.start.index >= s.index) return false;
  if (!connectedThroughout(tl.view, q.userId, q.start.index, s.index)) return false;
  if (q.terminal) return q.terminal.index > s.index;
  return q.ret === undefined || q.ret.at > s.at;
}

/** Probe entries: quiet instants, after every timer of the instant fired. */
function probes(history: History): number[] {
  return history.entries.filter((e) => e.kind === "stats" && e.probe).map((e) => e.index);
}

// concurrency.per-user-limit ------------------------------------------------------------------

function perUserLimit(history: History, tl: Timelines): Verdict {
  const id = "concurrency.per-user-limit";
  const limit = limitOf(history, "perUserConcurrency");
  const maxQueued = limitOf(history, "maxQueuedPerUser");
  let exercised = false;
  type Found = { index: number; verdict: Verdict };
  let first: Found | undefined;
  const found = (index: number, summary: string, entries: number[]) => {
    if (!first || index < first.index) first = { index, verdict: broken(id, summary, entries) };
  };

  const quiet = probes(history);
  for (const [userId, runs] of tl.byUser) {
    // 1. Never more than `limit` active at once.
    const started = runs.filter((r) => r.start).sort(byStart);
    for (const r of started) {
      const s = r.start as Mark;
      const active = started.filter((q) => q !== r && surelyActiveAt(tl, q, s));
      if (active.length > 0) exercised = true;
      if (active.length >= limit) {
        const all = [...active, r];
        found(
          s.index,
          `user ${userId} had ${all.length} runs active at once (${listRuns(all)}) with perUserConcurrency ${limit}: run ${r.runId} started while ${listRuns(active)} had not ended`,
          [...active.map((q) => (q.start as Mark).index), s.index],
        );
        break;
      }
    }

    // 2. Waiting runs start in execute order: no run starts while one executed before it waits.
    for (const b of started) {
      const bStart = b.start as Mark;
      const overtaken = runs.find(
        (a) => a.call.index < b.call.index && a.start !== undefined && a.start.index > bStart.index,
      );
      if (!overtaken) continue;
      found(
        bStart.index,
        `user ${userId}'s run ${b.runId} started before run ${overtaken.runId}, although ${overtaken.runId} was executed first (queued runs must start in execute order)`,
        [overtaken.call.index, b.call.index, bStart.index, (overtaken.start as Mark).index],
      );
      break;
    }

    // 3. At most `maxQueued` waiting, judged at quiet instants; QUEUE_FULL only when full.
    for (const p of quiet) {
      const waiting = runs.filter((r) => waitingAt(r, p));
      if (waiting.length > 0) exercised = true;
      if (waiting.length > maxQueued) {
        const extra = waiting[waiting.length - 1] as RunTimeline;
        found(
          p,
          `user ${userId} had ${waiting.length} runs waiting (${listRuns(waiting)}) with maxQueuedPerUser ${maxQueued}: run ${extra.runId} should have been rejected QUEUE_FULL`,
          [...waiting.map((r) => r.call.index), p],
        );
        break;
      }
    }
    for (const r of runs) {
      const code = (r.run.result?.error as { code?: unknown } | undefined)?.code;
      if (r.status !== "rejected" || code !== "QUEUE_FULL") continue;
      exercised = true;
      const i = r.call.index;
      const waiting = runs.filter((q) => q !== r && waitingAt(q, i));
      if (waiting.length < maxQueued) {
        found(
          i,
          `user ${userId}'s run ${r.runId} was rejected QUEUE_FULL although only ${waiting.length} of its runs were waiting (maxQueuedPerUser ${maxQueued})`,
          [i, ...(r.ret ? [r.ret.index] : [])],
        );
      }
    }
  }
  if (first) return first.verdict;
  return exercised
    ? held(id)
    : notChecked(id, "no user had runs active together or waiting for a slot");
}

// concurrency.fairness and permit-release -----------------------------------------------------

/** A run that should have started within its instant and did not. */
interface Delayed {
  run: RunTimeline;
  /** Runs (of anyone) that had ended before it was executed. */
  endedBefore: RunTimeline[];
  /** Other users' runs waiting when it was executed. */
  othersWaiting: RunTimeline[];
  /** Earlier unsettled runs of its user, and runs of anyone active, when it was executed. */
  mine: number;
  active: number;
  /** Where the start should have been seen by. */
  deadline: number;
  /** All runs of its user. */
  userRuns: readonly RunTimeline[];
}

interface AtOnce {
  /** Runs that were entitled to start at once. */
  entitled: RunTimeline[];
  delayed: Delayed[];
}

/**
 * Runs entitled to start at once: when executed, fewer than perUserConcurrency earlier runs of
 * its user were unsettled and fewer than globalConcurrency runs of anyone had started and not
 * ended. Such a run must start (or settle, e.g. rejected) before the next instant.
 */
function atOnce(history: History, tl: Timelines): AtOnce {
  const perUser = limitOf(history, "perUserConcurrency");
  const global = limitOf(history, "globalConcurrency");
  const shutdownAt = firstCall(history, "shutdown");
  const entitled: RunTimeline[] = [];
  const delayed: Delayed[] = [];
  for (const r of tl.runs) {
    const i = r.call.index;
    if (shutdownAt !== undefined && shutdownAt < i) continue;
    const mine = (tl.byUser.get(r.userId) ?? []).filter(
      (q) => q !== r && q.call.index < i && !settledBefore(q, i),
    );
    if (mine.length >= perUser) continue;
    const active = countsOf(tl).possiblyActive(i) - (possiblyActiveAt(r, i) ? 1 : 0);
    if (active >= global) continue;
    const deadline = instantEnd(tl, r.call.at);
    // Cut short before the instant ended: nothing can be said.
    if (deadline >= history.entries.length && cutShort(history)) continue;
    entitled.push(r);
    const ok = (r.start && r.start.index < deadline) || (r.ret && r.ret.index < deadline);
    if (ok) continue;
    delayed.push({
      run: r,
      endedBefore: tl.runs.filter((q) => q !== r && endedBefore(q, i)),
      othersWaiting: tl.runs.filter((q) => q.userId !== r.userId && waitingAt(q, i)),
      mine: mine.length,
      active,
      deadline,
      userRuns: tl.byUser.get(r.userId) ?? [],
    });
  }
  return { entitled, delayed };
}

/**
 * Whether leaked slots could explain a delayed start: enough runs of its user ended before it
 * to use up its own limit, or enough runs of anyone to use up the global one.
 */
function leakPlausible(history: History, d: Delayed): { own: RunTimeline[]; all: boolean } {
  const own = d.endedBefore.filter((q) => q.userId === d.run.userId);
  const perUser = limitOf(history, "perUserConcurrency");
  const global = limitOf(history, "globalConcurrency");
  // Leaked slots never come back: a run that did start later, with no run of its own user
  // ending in between, was not held back by its user's slots (a hidden global cap was it).
  const start = d.run.start?.index;
  const ownFreed =
    start === undefined ||
    d.run.call.index >= start ||
    d.userRuns.some(
      (q) =>
        q !== d.run && q.end !== undefined && q.end.index > d.run.call.index && q.end.index < start,
    );
  return {
    own: own.length + d.mine >= perUser && ownFreed ? own : [],
    all: d.endedBefore.length + d.active >= global,
  };
}

function firstCall(history: History, op: string): number | undefined {
  const entry = history.entries.find((e) => e.kind === "call" && e.operation?.op === op);
  return entry?.index;
}

function startedWhen(r: RunTimeline): string {
  if (r.start) return `it started only at ${r.start.at} ms`;
  if (r.ret) return `it never started (its execute resolved ${r.status ?? "without a status"})`;
  return "it never started";
}

function fairness(history: History, tl: Timelines): Verdict {
  const id = "concurrency.fairness";
  const { entitled, delayed } = atOnce(history, tl);
  let firstIndex = Number.POSITIVE_INFINITY;
  let verdict: Verdict | undefined;
  for (const d of delayed) {
    const leak = leakPlausible(history, d);
    if (d.othersWaiting.length === 0 && (leak.own.length > 0 || leak.all)) continue; // a leak
    const r = d.run;
    const why =
      d.othersWaiting.length > 0
        ? `while ${[...new Set(d.othersWaiting.map((q) => q.userId))].join(", ")} had runs queued (${listRuns(d.othersWaiting)})`
        : "with nothing else going on";
    verdict = broken(
      id,
      `user ${r.userId}'s run ${r.runId} was executed at ${r.call.at} ms below both limits but did not start at once ${why}; ${startedWhen(r)}`,
      [r.call.index, ...d.othersWaiting.map((q) => q.call.index)],
    );
    firstIndex = r.call.index;
    break;
  }

  // Never more than globalConcurrency runs active at once.
  const global0 = limitOf(history, "globalConcurrency");
  const everStarted = tl.runs.filter((r) => r.start).sort(byStart);
  for (const r of everStarted) {
    const s = r.start as Mark;
    if (s.index >= firstIndex) break;
    if (countsOf(tl).maybeSurelyActive(s.index) < global0) continue;
    const active = everStarted.filter((q) => q !== r && surelyActiveAt(tl, q, s));
    if (active.length < global0) continue;
    const all = [...active, r];
    verdict = broken(
      id,
      `${all.length} runs were active at once (${all.map((q) => `${q.runId} of ${q.userId}`).join(", ")}) with globalConcurrency ${global0}: run ${r.runId} of user ${r.userId} started while the others had not ended`,
      [...active.map((q) => (q.start as Mark).index), s.index],
    );
    firstIndex = s.index;
    break;
  }

  // Round-robin: user X must not be granted two starts while user Y, eligible all along (a run
  // waiting since before X's first start, and under its own limit), got none in between.
  const perUser = limitOf(history, "perUserConcurrency");
  const global = limitOf(history, "globalConcurrency");
  let contended = false;
  const starts = tl.runs.filter((r) => r.start).sort(byStart);
  const lastStartOf = new Map<string, RunTimeline>();
  outer: for (const g2 of starts) {
    const s2 = (g2.start as Mark).index;
    if (s2 >= firstIndex) break;
    const g1 = lastStartOf.get(g2.userId);
    lastStartOf.set(g2.userId, g2);
    if (!g1) continue;
    const s1 = (g1.start as Mark).index;
    // Nobody waiting then: nobody was passed over.
    if (countsOf(tl).waiting(s2 + 1) === 0) continue;
    for (const [userId, runs] of tl.byUser) {
      if (userId === g2.userId) continue;
      const waiter = runs.find(
        (y) => y.call.index < s1 && waitingAt(y, s2 + 1) && !withdrawnBefore(tl, y, s2),
      );
      if (!waiter) continue;
      if (runs.some((y) => y.start && y.start.index > s1 && y.start.index < s2)) continue;
      if (!eligibleThroughout(runs, perUser, s1, s2)) continue;
      contended = contended || tl.runs.filter((q) => possiblyActiveAt(q, s2)).length >= global;
      verdict = broken(
        id,
        `user ${g2.userId} was given two slots (runs ${g1.runId} at ${g1.start?.at} ms and ${g2.runId} at ${g2.start?.at} ms) while user ${userId}'s run ${waiter.runId}, waiting since ${waiter.call.at} ms and under its own limit, got none: free slots must go round-robin`,
        [waiter.call.index, s1, s2],
      );
      firstIndex = s2;
      break outer;
    }
  }
  if (verdict) return verdict;
  if (!contended) {
    for (const r of tl.runs) {
      const s = r.start?.index;
      if (s === undefined) continue;
      if (countsOf(tl).waiting(s) - (waitingAt(r, s) ? 1 : 0) <= 0) continue;
      if (tl.runs.some((q) => q !== r && waitingAt(q, s))) {
        contended = true;
        break;
      }
    }
  }
  if (entitled.length > 0 || contended) return held(id);
  return notChecked(id, "no run was executed below the limits and no slot was contended");
}

/**
 * Whether a waiting run was withdrawn before history index `index`: its owner cancelled it, its
 * user was closed, or the engine was shut down. Its execute may settle a little later, but it
 * was no longer waiting for a slot.
 */
function withdrawnBefore(tl: Timelines, run: RunTimeline, index: number): boolean {
  for (const call of tl.view.calls.values()) {
    if (call.index <= run.call.index || call.index >= index) continue;
    const op = call.operation;
    if (op.op === "shutdown") return true;
    if (op.op === "closeUser" && op.userId === run.userId) return true;
    if (op.op === "cancel" && op.runId === run.runId && op.byUserId === run.userId) return true;
  }
  return false;
}

function eligibleThroughout(
  runs: readonly RunTimeline[],
  perUser: number,
  from: number,
  to: number,
): boolean {
  // The active count only changes at starts and ends; check at `from` and after each change.
  const points = new Set<number>([from]);
  for (const r of runs) {
    if (r.start && r.start.index > from && r.start.index <= to) points.add(r.start.index + 1);
    if (r.end && r.end.index > from && r.end.index <= to) points.add(r.end.index + 1);
  }
  for (const p of points) {
    const active = runs.filter((r) => possiblyActiveAt(r, p)).length;
    if (active >= perUser) return false;
  }
  return true;
}

function permitRelease(history: History, tl: Timelines): Verdict {
  const id = "concurrency.permit-release";
  const { entitled, delayed } = atOnce(history, tl);
  for (const d of delayed) {
    const leak = leakPlausible(history, d);
    if (leak.own.length === 0 && !leak.all) continue;
    const r = d.run;
    const failures = leak.own.length > 0 ? leak.own : d.endedBefore;
    const whose = leak.own.length > 0 ? `${r.userId}'s` : "earlier";
    const ended = failures.map((q) => `${q.runId} (${endPath(q)})`).join(", ");
    return broken(
      id,
      `user ${r.userId}'s run ${r.runId} did not start at once although ${r.userId} had ${d.mine} other run(s) going (perUserConcurrency ${limitOf(history, "perUserConcurrency")}) and ${d.active} run(s) were active in all (globalConcurrency ${limitOf(history, "globalConcurrency")}); ${startedWhen(r)}. Before it, ${whose} runs ${ended} had ended: their slots were never given back`,
      [...failures.map((q) => (q.end as Mark).index), r.call.index],
    );
  }
  const exercised = entitled.some((r) =>
    (tl.byUser.get(r.userId) ?? []).some((q) => q !== r && endedBefore(q, r.call.index)),
  );
  return exercised
    ? held(id)
    : notChecked(id, "no user executed a run after an earlier run of theirs had ended");
}

// concurrency.no-deadlock ----------------------------------------------------------------------

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

function noDeadlock(history: History, tl: Timelines): Verdict {
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
