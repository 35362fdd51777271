/**
 * concurrency.fairness: below the global limit a user's run starts at once; at it, slots go
 * round-robin. Also which runs were entitled to start at once (used by permit-release).
 */
import type { History } from "../../run/history.ts";
import { broken, held, notChecked, type Verdict } from "../verdict.ts";
import {
  byStart,
  countsOf,
  cutShort,
  endedBefore,
  instantEnd,
  listRuns,
  possiblyActiveAt,
  settledBefore,
  waitingAt,
} from "./run-queries.ts";
import { limitOf, surelyActiveAt } from "./shared.ts";
import type { Mark, RunTimeline, Timelines } from "./timelines.ts";

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
export function atOnce(history: History, tl: Timelines): AtOnce {
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
export function leakPlausible(history: History, d: Delayed): { own: RunTimeline[]; all: boolean } {
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

export function startedWhen(r: RunTimeline): string {
  if (r.start) return `it started only at ${r.start.at} ms`;
  if (r.ret) return `it never started (its execute resolved ${r.status ?? "without a status"})`;
  return "it never started";
}

export function fairness(history: History, tl: Timelines): Verdict {
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
