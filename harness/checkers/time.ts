/**
 * time.timeout: a run still going runTimeoutMs after its start ends at exactly that virtual
 * instant with agent_error `timeout` (queue wait does not count), and its agent is signalled:
 * once the run has timed out, the agent takes no further step.
 */
import type { History } from "../run/history.ts";
import { type Mark, type RunTimeline, timelinesOf } from "./concurrency.ts";
import { broken, held, notChecked, type Verdict } from "./verdict.ts";

export function checkTime(history: History): Verdict[] {
  try {
    return [timeout(history)];
  } catch (error) {
    return [
      notChecked("time.timeout", `the checker could not read this history: ${String(error)}`),
    ];
  }
}

function reasonOf(event: unknown): unknown {
  const payload = (event as { payload?: unknown } | null)?.payload;
  return typeof payload === "object" && payload !== null
    ? (payload as { reason?: unknown }).reason
    : undefined;
}

/** How a run ended, as the harness saw it first: a live terminal or the execute's return. */
interface Ending extends Mark {
  what: string;
  timeout: boolean;
  /** An end the agent itself can cause: completion, or an error. */
  byAgent: boolean;
}

function endingOf(t: RunTimeline): Ending | undefined {
  const live = t.deliveries.find(
    (d) =>
      d.event.replayed !== true &&
      (d.event.type === "agent_completed" || d.event.type === "agent_error"),
  );
  const candidates: Ending[] = [];
  if (live) {
    const reason = reasonOf(live.event);
    candidates.push({
      index: live.index,
      at: live.at,
      what:
        live.event.type === "agent_error"
          ? `agent_error #${String(live.event.seq)} (reason ${String(reason)})`
          : `agent_completed #${String(live.event.seq)}`,
      timeout: live.event.type === "agent_error" && reason === "timeout",
      byAgent: live.event.type === "agent_completed" || reason === "error",
    });
  }
  if (t.ret) {
    candidates.push({
      index: t.ret.index,
      at: t.ret.at,
      what: t.ret.threw
        ? `execute throwing ${t.ret.threw.name}`
        : `execute resolving ${t.status ?? "without a status"}`,
      timeout: t.status === "timeout",
      byAgent: t.status === "completed" || t.status === "error",
    });
  }
  candidates.sort((a, b) => a.index - b.index);
  const first = candidates[0];
  if (!first) return undefined;
  // The live terminal says what kind of end it was, even when the return was recorded first.
  const kind = live ? (candidates.find((c) => c.index === live.index) as Ending) : first;
  return { ...first, what: kind.what, timeout: kind.timeout, byAgent: kind.byAgent };
}

/** Another reason for a run to end at `at`: a cancel, closeUser or shutdown issued then. */
function otherCauseAt(history: History, t: RunTimeline, at: number): boolean {
  return history.entries.some((e) => {
    if (e.kind !== "call" || e.at !== at || e.index <= t.call.index) return false;
    const op = e.operation;
    return (
      (op?.op === "cancel" && op.runId === t.runId) ||
      (op?.op === "closeUser" && op.userId === t.userId) ||
      op?.op === "shutdown"
    );
  });
}

/**
 * Whether the run's scripted agent could end on its own (return, throw, or fail on a tool
 * error) rather than only by the engine's timeout or cancel: false when a `hang` comes first.
 */
function mayEndByItself(t: RunTimeline): boolean {
  const input = t.run.request?.input as { steps?: unknown } | null | undefined;
  const steps = input && typeof input === "object" ? input.steps : undefined;
  if (!Array.isArray(steps)) return true;
  const fails = (step: unknown): boolean => {
    if (typeof step !== "object" || step === null) return false;
    const s = step as Record<string, unknown>;
    if ("throw" in s || s.error !== undefined) return true;
    return Array.isArray(s.parallel) && s.parallel.some(fails);
  };
  for (const step of steps) {
    if (typeof step === "object" && step !== null && "hang" in step) return false;
    if (fails(step)) return true;
  }
  return true;
}

/** The agent finished by itself at `at` (its last runtime call), racing the timeout. */
function agentEndedAt(history: History, t: RunTimeline, at: number): boolean {
  if (t.invocation === undefined) return false;
  return history.entries.some(
    (e) => e.kind === "runtime" && e.invocation === t.invocation && e.call === "end" && e.at === at,
  );
}

function timeout(history: History): Verdict {
  const id = "time.timeout";
  const limit = history.limits?.runTimeoutMs;
  if (typeof limit !== "number" || !Number.isFinite(limit)) {
    return notChecked(id, "the history has no runTimeoutMs");
  }
  const tl = timelinesOf(history);
  const cut = history.failure !== undefined || history.truncated !== undefined;
  const lastAt = history.entries.length > 0 ? (history.entries.at(-1)?.at ?? 0) : 0;
  let exercised = false;
  let first: { index: number; verdict: Verdict } | undefined;
  const found = (index: number, summary: string, entries: number[]) => {
    if (!first || index < first.index) first = { index, verdict: broken(id, summary, entries) };
  };

  for (const t of tl.runs) {
    const ending = endingOf(t);
    const name = `run ${t.runId} of user ${t.userId}`;
    if (!t.start) {
      // A run that never started cannot time out: queue wait does not count.
      const startedSomehow = t.deliveries.some((d) => d.event.type === "agent_started");
      if (ending?.timeout && !startedSomehow) {
        found(
          ending.index,
          `${name} timed out at ${ending.at} ms (${ending.what}) without ever starting: queue wait must not count towards runTimeoutMs`,
          [t.call.index, ending.index],
        );
      }
      continue;
    }
    const start = t.start;
    const deadline = start.at + limit;
    if (ending && ending.at < deadline) {
      if (ending.timeout) {
        found(
          ending.index,
          `${name} timed out at ${ending.at} ms, only ${ending.at - start.at} ms after its start at ${start.at} ms (runTimeoutMs ${limit})${t.call.at < start.at ? `: its ${start.at - t.call.at} ms of queue wait were counted` : ""}`,
          [start.index, ending.index],
        );
      }
      continue;
    }
    if (!ending) {
      if (cut || lastAt < deadline) continue;
      exercised = true;
      found(
        start.index,
        `${name} started at ${start.at} ms and was still going at ${deadline} ms (runTimeoutMs ${limit}), but it was never timed out: no terminal event and execute never settled`,
        [start.index],
      );
      continue;
    }
    exercised = true;
    if (ending.at > deadline) {
      found(
        start.index,
        `${name} started at ${start.at} ms and was still going at ${deadline} ms (runTimeoutMs ${limit}), but it was not timed out then: it ended only at ${ending.at} ms with ${ending.what}`,
        [start.index, ending.index],
      );
      continue;
    }
    // Ended exactly at the deadline: it must be the timeout, unless something else ended it then
    // (a cancel, closeUser or shutdown, or an agent able to finish by itself winning the race).
    const raced =
      otherCauseAt(history, t, deadline) ||
      agentEndedAt(history, t, deadline) ||
      (ending.byAgent && mayEndByItself(t));
    if (!ending.timeout && !raced) {
      found(
        ending.index,
        `${name} reached runTimeoutMs (${limit} ms after its start at ${start.at} ms) and ended at ${ending.at} ms with ${ending.what} instead of agent_error reason timeout`,
        [start.index, ending.index],
      );
      continue;
    }
    // The agent is signalled: it takes no further step after the timeout.
    if (ending.timeout && t.invocation !== undefined) {
      const step = history.entries.find(
        (e) =>
          e.kind === "runtime" &&
          e.invocation === t.invocation &&
          e.index > ending.index &&
          (e.call === "think" || e.call === "tool-call"),
      );
      if (step && step.kind === "runtime") {
        found(
          step.index,
          `the agent of ${name} was not signalled through its abort signal: after the timeout at ${ending.at} ms it went on to ${step.call === "think" ? "think" : "call a tool"} at ${step.at} ms`,
          [ending.index, step.index],
        );
      }
    }
  }
  if (first) return first.verdict;
  return exercised
    ? held(id)
    : notChecked(id, "no run was still going runTimeoutMs after its start");
}
