/**
 * What the concurrency rules share: the limits, runs surely active at another's start, and the
 * quiet instants the runner probed.
 */
import type { History } from "../../run/history.ts";
import { connectedThroughout } from "./run-queries.ts";
import type { Mark, RunTimeline, Timelines } from "./timelines.ts";

export function limitOf(history: History, key: "perUserConcurrency" | "globalConcurrency"): number;
export function limitOf(history: History, key: "maxQueuedPerUser" | "runTimeoutMs"): number;
export function limitOf(history: History, key: keyof History["limits"]): number {
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
export function probes(history: History): number[] {
  return history.entries.filter((e) => e.kind === "stats" && e.probe).map((e) => e.index);
}
