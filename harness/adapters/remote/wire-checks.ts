/**
 * The clauses whose in-process checkers rely on what only the engine's own process can show
 * (virtual instants, the engine's global stats(), closeUser and shutdown), judged instead from
 * what a client sees, with the tolerance real time needs:
 * - concurrency.no-deadlock: every request on a socket that stayed open got its answer;
 * - time.timeout: a run ended with `timeout` about runTimeoutMs after its agent_started arrived,
 *   and no run went on much longer than that;
 * - cleanup.stats: a user's `stats` frame agrees with what that user's only socket had seen.
 */

import { broken, held, notChecked, type Verdict } from "../../checkers/verdict.ts";
import type { JsonValue } from "../../contract/index.ts";
import type { CallEntry, DeliveryEntry, History, HistoryEntry } from "../../run/history.ts";
import type { RemoteFacts, StatsObservation } from "./driver.ts";

/** How far from runTimeoutMs a timeout may land over a real network and a loaded machine. */
export function timeoutTolerance(runTimeoutMs: number): number {
  return Math.max(250, Math.round(runTimeoutMs * 0.4));
}

export function noDeadlockOverWire(history: History, facts: RemoteFacts): Verdict {
  const id = "concurrency.no-deadlock";
  const calls = callsById(history);
  const first = facts.unanswered[0];
  if (first) {
    const call = calls.get(first.callId);
    const op = call?.operation;
    const what =
      op?.op === "execute"
        ? `the execute of run ${op.context.runId} (user ${op.context.userId})`
        : op?.op === "cancel"
          ? `cancel(${op.runId}) by ${op.byUserId}`
          : first.what;
    const more = facts.unanswered.length > 1 ? ` (and ${facts.unanswered.length - 1} more)` : "";
    return broken(
      id,
      `${what} got no answer on its still-open socket within ${facts.elapsedMs} ms${more}`,
      call ? [call.index] : undefined,
    );
  }
  const answered = history.entries.some(
    (e) => e.kind === "return" && isRequest(calls.get(e.callId)),
  );
  return answered
    ? held(id)
    : notChecked(id, "no execute or cancel was answered on a socket that stayed open");
}

function isRequest(call: CallEntry | undefined): boolean {
  return call?.operation.op === "execute" || call?.operation.op === "cancel";
}

function callsById(history: History): Map<number, CallEntry> {
  const calls = new Map<number, CallEntry>();
  for (const e of history.entries) if (e.kind === "call") calls.set(e.callId, e);
  return calls;
}

interface RunSeen {
  runId: string;
  userId: string;
  /** Its agent_started, or (from an engine that sends none) its first event. */
  started?: DeliveryEntry;
  terminal?: DeliveryEntry;
}

/** Per run (user and runId), when it was first seen started and first seen ended, live. */
function runsSeen(history: History): RunSeen[] {
  const runs = new Map<
    string,
    RunSeen & { first?: DeliveryEntry; agentStarted?: DeliveryEntry; endedAway?: boolean }
  >();
  for (const e of history.entries) {
    if (e.kind !== "deliver") continue;
    const event = e.event as Record<string, unknown> | null;
    if (typeof event?.runId !== "string") continue;
    const key = `${e.connectionUserId}\u0000${event.runId}`;
    const run = runs.get(key) ?? { runId: event.runId, userId: e.connectionUserId };
    runs.set(key, run);
    // A replayed terminal ended the run while its user was away, at a time no frame shows.
    if (event.replayed === true) {
      if (event.type === "agent_completed" || event.type === "agent_error") run.endedAway = true;
      continue;
    }
    run.first ??= e;
    if (event.type === "agent_started") run.agentStarted ??= e;
    else if (event.type === "agent_completed" || event.type === "agent_error") run.terminal ??= e;
  }
  return [...runs.values()].map((run) => {
    const started = run.agentStarted ?? run.first;
    return {
      runId: run.runId,
      userId: run.userId,
      ...(started && !(run.endedAway && !run.terminal) ? { started } : {}),
      ...(run.terminal ? { terminal: run.terminal } : {}),
    };
  });
}

/** Milliseconds between two events by the engine's own clock (`ts`), when both carry one. */
function engineMs(from: DeliveryEntry, to: DeliveryEntry): number | undefined {
  const a = (from.event as { ts?: unknown }).ts;
  const b = (to.event as { ts?: unknown }).ts;
  return typeof a === "number" && typeof b === "number" && b >= a ? b - a : undefined;
}

export function timeoutOverWire(
  history: History,
  runTimeoutMs: number,
  /** History time when recording stopped: a run not ended by then was still going. */
  endedAt: number,
): Verdict {
  const id = "time.timeout";
  const limit = runTimeoutMs;
  const tolerance = timeoutTolerance(limit);
  const end = Math.max(endedAt, history.entries.at(-1)?.at ?? 0);
  let exercised = false;
  for (const run of runsSeen(history)) {
    if (!run.started) continue;
    const name = `run ${run.runId} of user ${run.userId}`;
    const startedAt = run.started.at;
    const terminal = run.terminal;
    if (!terminal) {
      if (end - startedAt > limit + tolerance) {
        return broken(
          id,
          `${name} started at ${startedAt} ms and was still going at ${end} ms, past runTimeoutMs ${limit} (tolerance ${tolerance} ms)`,
          [run.started.index],
        );
      }
      continue;
    }
    const event = terminal.event as {
      type?: unknown;
      ts?: unknown;
      payload?: { reason?: unknown };
    };
    const took = engineMs(run.started, terminal) ?? terminal.at - startedAt;
    const timedOut = event.type === "agent_error" && event.payload?.reason === "timeout";
    if (timedOut) {
      exercised = true;
      if (Math.abs(took - limit) > tolerance) {
        return broken(
          id,
          `${name} timed out ${took} ms after its agent_started; runTimeoutMs is ${limit} (tolerance ${tolerance} ms)`,
          [run.started.index, terminal.index],
        );
      }
    } else if (took > limit + tolerance) {
      return broken(
        id,
        `${name} ended with ${String(event.type)} ${took} ms after its agent_started, past runTimeoutMs ${limit} (tolerance ${tolerance} ms): it should have timed out`,
        [run.started.index, terminal.index],
      );
    }
  }
  return exercised ? held(id) : notChecked(id, "no run reached runTimeoutMs");
}

const STAT_FIELDS = ["activeRuns", "queuedRuns", "bufferedEvents"] as const;

export function statsOverWire(history: History, facts: RemoteFacts): Verdict {
  const id = "cleanup.stats";
  let compared = false;
  for (const seen of facts.stats) {
    const expected = expectedStats(history.entries, seen);
    if (!expected) continue;
    compared = true;
    const stats = seen.stats as Record<string, JsonValue> | null;
    for (const field of STAT_FIELDS) {
      const got = stats?.[field];
      const { sure, maybe } = expected[field];
      if (typeof got === "number" && got >= sure.length && got <= sure.length + maybe.length) {
        continue;
      }
      const seenText =
        maybe.length > 0 ? `${sure.length} to ${sure.length + maybe.length}` : `${sure.length}`;
      const runs = [...sure, ...maybe];
      return broken(
        id,
        `a stats frame on ${seen.user}'s socket ${seen.socket}${seen.final ? " after the scenario" : ""} said ${field} ${JSON.stringify(got)}, but the socket had seen ${seenText}${runs.length > 0 ? ` (${runs.join(", ")})` : ""}`,
        [seen.index],
      );
    }
  }
  return compared
    ? held(id)
    : notChecked(id, "no stats frame came from a user whose only socket saw all their runs");
}

/** Runs a stats field must count, and runs it may count (their fate was in flight). */
type Expected = Record<(typeof STAT_FIELDS)[number], { sure: string[]; maybe: string[] }>;

/**
 * What a user's stats must say, from the one socket they had: runs started and not ended,
 * requests sent and neither started nor answered, nothing buffered (the user is connected).
 * A run the user had asked to cancel whose answer had not come yet may be counted or not.
 * Undefined when the user had another socket (its frames race this one's).
 */
function expectedStats(
  entries: readonly HistoryEntry[],
  seen: StatsObservation,
): Expected | undefined {
  const sockets = new Set<string>();
  const executes: { callId: number; runId: string }[] = [];
  const returned = new Set<number>();
  const started = new Set<string>();
  const ended = new Set<string>();
  const cancels = new Map<number, string>();
  for (const e of entries.slice(0, seen.index)) {
    if (e.kind === "call") {
      const op = e.operation;
      if (op.op === "attach" && op.userId === seen.user) sockets.add(op.connectionId);
      if (e.index >= seen.askedIndex) continue;
      if (op.op === "execute" && op.context.userId === seen.user) {
        executes.push({ callId: e.callId, runId: op.context.runId });
      }
      if (op.op === "cancel" && op.byUserId === seen.user) cancels.set(e.callId, op.runId);
    } else if (e.kind === "return") {
      returned.add(e.callId);
    } else if (e.kind === "deliver" && e.connectionId === seen.socket) {
      const event = e.event as { type?: unknown; runId?: unknown } | null;
      if (typeof event?.runId !== "string") continue;
      if (event.type === "agent_started") started.add(event.runId);
      if (event.type === "agent_completed" || event.type === "agent_error") ended.add(event.runId);
    }
  }
  if (sockets.size !== 1 || !sockets.has(seen.socket)) return undefined;
  const inFlight = new Set(
    [...cancels].filter(([callId]) => !returned.has(callId)).map(([, runId]) => runId),
  );
  const split = (runIds: string[]) => ({
    sure: runIds.filter((r) => !inFlight.has(r)),
    maybe: runIds.filter((r) => inFlight.has(r)),
  });
  // A runId counts once: a second execute of an active runId is refused, not a second run.
  const active = [...new Set(executes.map((x) => x.runId))].filter(
    (runId) => started.has(runId) && !ended.has(runId),
  );
  const queued = executes
    .filter((x) => !started.has(x.runId) && !returned.has(x.callId))
    .map((x) => x.runId);
  return {
    activeRuns: split(active),
    queuedRuns: split(queued),
    bufferedEvents: { sure: [], maybe: [] },
  };
}
