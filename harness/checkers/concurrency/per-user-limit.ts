/**
 * concurrency.per-user-limit: at most perUserConcurrency active runs per user; the rest wait
 * FIFO, within maxQueuedPerUser.
 */
import type { History } from "../../run/history.ts";
import { broken, held, notChecked, type Verdict } from "../verdict.ts";
import { byStart, listRuns, waitingAt } from "./run-queries.ts";
import { limitOf, probes, surelyActiveAt } from "./shared.ts";
import type { Mark, RunTimeline, Timelines } from "./timelines.ts";

export function perUserLimit(history: History, tl: Timelines): Verdict {
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
