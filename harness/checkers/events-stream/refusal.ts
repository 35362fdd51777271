/**
 * What a refused execute left behind: events, its agent run, state in stats.
 */
import { REJECTION_CODES } from "../../contract/index.ts";
import type { RuntimeEntry, StatsEntry } from "../../run/history.ts";
import type { EventDelivery, RunView } from "../view.ts";
import type { Analysis, RunTrace } from "./analysis.ts";
import {
  describe,
  type Finding,
  isRejectionCode,
  outcomeOf,
  receiver,
  resultErrorCode,
  sameIds,
  show,
} from "./witness.ts";

/**
 * The first delivery that came of this execute: one attributed to it, or (when another execute
 * of the same runId owns the deliveries) one whose envelope names this execute's thread or user
 * rather than the owner's.
 */
export function emittedFor(analysis: Analysis, trace: RunTrace): EventDelivery | undefined {
  const own = trace.deliveries[0];
  if (own) return own;
  const mine = trace.run.context as unknown as Record<string, unknown>;
  for (const other of analysis.traces) {
    if (other === trace || other.run.runId !== trace.run.runId) continue;
    const theirs = other.run.context as unknown as Record<string, unknown>;
    for (const delivery of other.deliveries) {
      if (delivery.index < trace.run.call.index) continue;
      const event = delivery.event as Record<string, unknown>;
      if (
        (event.threadId === mine.threadId && mine.threadId !== theirs.threadId) ||
        (event.userId === mine.userId && mine.userId !== theirs.userId)
      ) {
        return delivery;
      }
    }
  }
  return undefined;
}

/** A runtime "start" after the execute with exactly its context's ids: its agent ran. */
export function agentRanFor(analysis: Analysis, trace: RunTrace): RuntimeEntry | undefined {
  const { run } = trace;
  const others = analysis.traces.filter(
    (t) => t !== trace && !t.rejected && sameIds(t.run.context, run.context),
  );
  if (others.length > 0) return undefined; // another execute had the same ids: cannot tell
  return analysis.view.runtime.find(
    (r) => r.call === "start" && r.index > run.call.index && sameIds(r.context, run.context),
  );
}

/**
 * "No state left behind" for a refused execute, as far as stats() can show it: when every execute
 * of the user was refused, no later stats may count a run or queued run of theirs, and when the
 * user never attached a connection either, none may list them at all.
 */
export function stateLeftFor(
  analysis: Analysis,
  trace: RunTrace,
): { entry: StatsEntry; why: string } | undefined {
  const { run } = trace;
  const userId = run.context.userId as unknown;
  if (typeof userId !== "string" || !run.ret) return undefined;
  const mine = analysis.traces.filter((t) => t.run.context.userId === userId);
  if (mine.some((t) => !t.rejected)) return undefined;
  const attached = analysis.view.connections.some((c) => c.userId === userId);
  for (const entry of analysis.history.entries) {
    if (entry.kind !== "stats" || entry.index < run.ret.index) continue;
    const stats = entry.stats as unknown as Record<string, unknown> | null;
    if (typeof stats !== "object" || stats === null) continue;
    const users = Array.isArray(stats.users) ? (stats.users as unknown[]) : [];
    const perUser = (stats.perUser ?? {}) as Record<string, unknown>;
    const mineStats = (Object.hasOwn(perUser, userId) ? perUser[userId] : undefined) as
      | Record<string, unknown>
      | undefined;
    const count = (field: string) => Number(mineStats?.[field] ?? 0) || 0;
    if (count("activeRuns") > 0 || count("queuedRuns") > 0) {
      return {
        entry,
        why: `stats() at ${entry.at} ms counts ${count("activeRuns")} active and ${count("queuedRuns")} queued runs for user ${show(userId)}, all of whose executes were refused`,
      };
    }
    if (!attached && users.includes(userId)) {
      return {
        entry,
        why: `stats() at ${entry.at} ms still lists user ${show(userId)}, who has no connection and whose every execute was refused`,
      };
    }
  }
  return undefined;
}

/** Whether the refused execute resolved `rejected` with a typed error; why not, if not. */
export function refusalProblem(run: RunView, expectedCode?: string): string | undefined {
  const ret = run.ret;
  if (!ret) return "was never refused: its execute never settled";
  if (ret.threw) {
    return `threw ${ret.threw.name} ${show(ret.threw.message)} instead of resolving rejected`;
  }
  if (run.result?.status !== "rejected") return `was not refused: its execute ${outcomeOf(run)}`;
  const code = resultErrorCode(run);
  if (!isRejectionCode(code)) {
    return `was rejected without a typed error (error code ${show(code)}, not one of ${REJECTION_CODES.join(", ")})`;
  }
  if (expectedCode !== undefined && code !== expectedCode) {
    return `was rejected with ${code} instead of ${expectedCode}`;
  }
  return undefined;
}

/** Everything a refused execute must not have done: emit, run its agent, leave state. */
export function leftBehind(
  analysis: Analysis,
  trace: RunTrace,
  label: string,
  checkState: boolean,
): Finding | undefined {
  const { run } = trace;
  const delivery = emittedFor(analysis, trace);
  if (delivery) {
    return {
      index: delivery.index,
      summary: `${label}, yet ${receiver(delivery)} received ${describe(delivery)}`,
      entries: [run.call.index, delivery.index],
    };
  }
  const ran = agentRanFor(analysis, trace);
  if (ran) {
    return {
      index: ran.index,
      summary: `${label}, yet its agent was started with that context at ${ran.at} ms`,
      entries: [run.call.index, ran.index],
    };
  }
  const left = checkState ? stateLeftFor(analysis, trace) : undefined;
  if (left) {
    return {
      index: left.entry.index,
      summary: `${label}, yet ${left.why}`,
      entries: [run.call.index, left.entry.index],
    };
  }
  return undefined;
}
