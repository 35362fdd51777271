/**
 * isolation.*: users never see each other.
 *
 * Detection rules (one per clause):
 * - canary: a frame delivered on a connection of user V, or the value (or error) an execute of
 *   V resolved to, whose JSON text contains the canary of another user. The result check
 *   covers answers served from a cache.
 * - state: among executes of different users with the same agent and the same input (an input
 *   holding no canary), each completed one must have run the agent for its own context, and
 *   its output and the events delivered to its user must carry no other user's canary; when
 *   its script calls a tool, its output must carry its own user's canary (its own tool result).
 * - agent-instance: every runtime entry of one agent invocation (think, tool call, tool
 *   invocation, end) shows the context its start showed; that context is the one of an
 *   execute the harness issued before it, and the input the agent got carries the canary of
 *   that execute's input. Held only when runs of two users overlapped.
 * - failure: executes paired through context metadata (`crosstalk.pair` and `crosstalk.role`
 *   "control" | "subject"): a subject run, with the same agent and input (canaries aside) as
 *   its control run of another user, that ends after a third user's run failed (error,
 *   timeout, a throw or a hang) must end with the control's status, after the control's
 *   duration in virtual milliseconds, with the control's output (canaries masked). The
 *   scenario places the control where no failure can reach it (before any), so a difference
 *   is a change made by the failing user.
 */
import type { JsonValue } from "../contract/index.ts";
import type { History, RuntimeEntry } from "../run/history.ts";
import { scriptSteps, stableJson, statusOf, textOf } from "./delivery.ts";
import { deliveryText } from "./json-text.ts";
import { broken, held, notChecked, type Verdict } from "./verdict.ts";
import { describeEvent, type HistoryView, type RunView, viewOf } from "./view.ts";

/** Context metadata key naming the control/subject pair an execute belongs to. */
export const PAIR_KEY = "crosstalk.pair";
/** Context metadata key: "control" (runs where no failure can reach) or "subject". */
export const ROLE_KEY = "crosstalk.role";

const ISOLATION_IDS = [
  "isolation.canary",
  "isolation.state",
  "isolation.agent-instance",
  "isolation.failure",
] as const;
type IsolationId = (typeof ISOLATION_IDS)[number];

export function checkIsolation(history: History): Verdict[] {
  let view: HistoryView;
  try {
    view = viewOf(history);
  } catch (error) {
    const reason = `the history could not be read: ${String(error)}`;
    return ISOLATION_IDS.map((id) => notChecked(id, reason));
  }
  return [
    guard("isolation.canary", () => checkCanary(view)),
    guard("isolation.state", () => checkState(view)),
    guard("isolation.agent-instance", () => checkAgentInstance(view)),
    guard("isolation.failure", () => checkFailure(view)),
  ];
}

/**
 * isolation.failure alone, with latencies compared within `latencyToleranceMs`: over the wire a
 * run's duration is measured in real time, and two identical runs differ by a few ms of jitter.
 */
export function checkIsolationFailure(history: History, latencyToleranceMs: number): Verdict {
  return guard("isolation.failure", () => checkFailure(viewOf(history), latencyToleranceMs));
}

function guard(id: IsolationId, check: () => Verdict): Verdict {
  try {
    return check();
  } catch (error) {
    return notChecked(id, `the checker could not read this history: ${String(error)}`);
  }
}

interface Finding {
  at: number;
  summary: string;
  entries: number[];
  /** Findings of different kinds are different defects: the witness mentions the next kind. */
  kind?: string;
}

function verdictOf(
  id: IsolationId,
  findings: Finding[],
  exercised: boolean,
  reason: string,
): Verdict {
  let first: Finding | undefined;
  for (const f of findings) if (!first || f.at < first.at) first = f;
  if (first) {
    const kind = first.kind;
    let other: Finding | undefined;
    for (const f of findings) {
      if (f.kind !== kind && (!other || f.at < other.at)) other = f;
    }
    if (kind === undefined || !other) return broken(id, first.summary, first.entries);
    return broken(id, `${first.summary}; also, ${other.summary}`, [
      ...first.entries,
      ...other.entries,
    ]);
  }
  return exercised ? held(id) : notChecked(id, reason);
}

function canaryPhrase(users: string[]): string {
  return users.length === 1 ? `${users[0]}'s canary` : `the canaries of ${users.join(", ")}`;
}

function atMs(view: HistoryView, index: number): string {
  const entry = view.history.entries[index];
  return entry ? `${entry.at} ms` : `entry ${index}`;
}

// ---------------------------------------------------------------------------------------------
// isolation.canary

function checkCanary(view: HistoryView): Verdict {
  const findings: Finding[] = [];
  let checked = 0;
  for (const d of view.deliveries) {
    checked += 1;
    const foreign = view.canaryOwnerIn(deliveryText(d)).filter((u) => u !== d.connectionUserId);
    if (foreign.length === 0) continue;
    const what =
      d.malformed === undefined &&
      typeof d.event === "object" &&
      d.event !== null &&
      typeof (d.event as { type?: unknown }).type === "string" &&
      typeof (d.event as { runId?: unknown }).runId === "string"
        ? describeEvent(d as Parameters<typeof describeEvent>[0])
        : "a frame";
    findings.push({
      at: d.index,
      summary:
        `user ${d.connectionUserId} received ${what} on connection ${d.connectionId} at ` +
        `${atMs(view, d.index)}, carrying ${canaryPhrase(foreign)}`,
      entries: [d.index],
    });
    break;
  }
  for (const run of view.runs) {
    const ret = run.ret;
    if (!ret) continue;
    checked += 1;
    const value = ret.threw ?? ret.value;
    const foreign = view.canaryOwnerIn(textOf(value)).filter((u) => u !== run.userId);
    if (foreign.length === 0) continue;
    const status = statusOf(run);
    const where = ret.threw
      ? "threw an error"
      : `resolved to ${/^[aeiou]/.test(status) ? "an" : "a"} ${status} result`;
    findings.push({
      at: ret.index,
      summary:
        `user ${run.userId}'s execute of run ${run.runId} ${where} carrying ` +
        `${canaryPhrase(foreign)} at ${atMs(view, ret.index)}`,
      entries: [run.call.index, ret.index],
    });
  }
  const exercised = view.canaries.size >= 2 && checked > 0;
  return verdictOf(
    "isolation.canary",
    findings,
    exercised,
    "fewer than two users, or nothing was delivered or returned",
  );
}

// ---------------------------------------------------------------------------------------------
// isolation.state

function checkState(view: HistoryView): Verdict {
  const groups = new Map<string, RunView[]>();
  for (const run of view.runs) {
    const request = run.request as { agentName?: unknown; input?: unknown } | undefined;
    if (!request || typeof request.agentName !== "string") continue;
    if (view.canaryOwnerIn(textOf(request.input)).length > 0) continue;
    const key = `${request.agentName}\u0000${stableJson(request.input)}`;
    const list = groups.get(key) ?? [];
    list.push(run);
    groups.set(key, list);
  }
  const findings: Finding[] = [];
  let exercised = false;
  for (const group of groups.values()) {
    const users = new Set(group.map((r) => r.userId));
    if (users.size < 2) continue;
    const completed = group.filter((r) => statusOf(r) === "completed");
    if (new Set(completed.map((r) => r.userId)).size >= 2) exercised = true;
    for (const run of completed) {
      const ret = run.ret;
      if (!ret) continue;
      const other = group.find((r) => r.userId !== run.userId) as RunView;
      const peer = `user ${other.userId}'s run ${other.runId} (same agent, same input)`;
      const started = view.runtime.some(
        (e) =>
          e.call === "start" &&
          e.index > run.call.index &&
          e.context.runId === run.runId &&
          e.context.userId === run.userId,
      );
      if (!started) {
        findings.push({
          at: ret.index,
          summary:
            `user ${run.userId}'s run ${run.runId} resolved completed without its agent ever ` +
            `running for it: its answer was shared with ${peer}`,
          entries: [other.call.index, run.call.index, ret.index],
        });
        continue;
      }
      const output = textOf(run.result?.output);
      const foreign = view.canaryOwnerIn(output).filter((u) => u !== run.userId);
      if (foreign.length > 0) {
        findings.push({
          at: ret.index,
          summary:
            `user ${run.userId}'s run ${run.runId} got ${foreign.join(", ")}'s tool results ` +
            `(its output carries ${canaryPhrase(foreign)}), state shared with ${peer}`,
          entries: [other.call.index, run.call.index, ret.index],
        });
        continue;
      }
      const own = view.canaries.get(run.userId);
      if (own && callsTool(run) && !output.includes(own)) {
        findings.push({
          at: ret.index,
          summary:
            `user ${run.userId}'s run ${run.runId} completed without its own tool results ` +
            `(no ${run.userId} canary in its output), alongside ${peer}`,
          entries: [other.call.index, run.call.index, ret.index],
        });
        continue;
      }
      for (const d of run.deliveries) {
        if (d.connectionUserId !== run.userId) continue;
        const leaked = view.canaryOwnerIn(deliveryText(d)).filter((u) => u !== run.userId);
        if (leaked.length === 0) continue;
        findings.push({
          at: d.index,
          summary:
            `user ${run.userId} received ${describeEvent(d)} carrying ${canaryPhrase(leaked)}: ` +
            `state shared with ${peer}`,
          entries: [other.call.index, run.call.index, d.index],
        });
        break;
      }
    }
  }
  return verdictOf(
    "isolation.state",
    findings,
    exercised,
    "no two users completed runs of one agent with the same input",
  );
}

function callsTool(run: RunView): boolean {
  const steps = scriptSteps(run.request);
  if (!steps) return false;
  const good = (t: unknown) =>
    typeof t === "object" &&
    t !== null &&
    typeof (t as { tool?: unknown }).tool === "string" &&
    !(t as { tool: string }).tool.startsWith("missing") &&
    (t as { error?: unknown }).error === undefined;
  return steps.some(
    (s) => good(s) || (Array.isArray(s.parallel) && (s.parallel as JsonValue[]).some(good)),
  );
}

// ---------------------------------------------------------------------------------------------
// isolation.agent-instance

const IDS = ["userId", "threadId", "runId", "requestId"] as const;

function sameContext(a: RuntimeEntry["context"], b: RuntimeEntry["context"]): boolean {
  return IDS.every((k) => a[k] === b[k]);
}

function who(ctx: RuntimeEntry["context"]): string {
  return `user ${String(ctx.userId)}'s context (run ${String(ctx.runId)})`;
}

function inputCanaryOf(run: RunView): string | null {
  const input = run.request?.input;
  if (typeof input === "object" && input !== null && !Array.isArray(input)) {
    const canary = (input as Record<string, JsonValue>).canary;
    if (typeof canary === "string") return canary;
  }
  return null;
}

function checkAgentInstance(view: HistoryView): Verdict {
  const byInvocation = new Map<number, RuntimeEntry[]>();
  for (const e of view.runtime) {
    if (typeof e.invocation !== "number" || e.invocation <= 0) continue;
    const list = byInvocation.get(e.invocation) ?? [];
    list.push(e);
    byInvocation.set(e.invocation, list);
  }
  const findings: Finding[] = [];
  const spans: { user: unknown; from: number; to: number }[] = [];
  for (const [invocation, entries] of byInvocation) {
    const start = entries.find((e) => e.call === "start");
    if (!start) continue;
    // A run that hangs has no entries after its start: it lasts until its execute returned.
    let to = (entries[entries.length - 1] as RuntimeEntry).index;
    for (const r of view.executes.get(String(start.context.runId)) ?? []) {
      if (r.userId === start.context.userId && r.call.index < start.index) {
        to = Math.max(to, r.ret?.index ?? view.history.entries.length);
      }
    }
    spans.push({ user: start.context.userId, from: start.index, to });
    const label = `agent invocation ${invocation}, started with ${who(start.context)},`;
    const stray = entries.find((e) => e !== start && !sameContext(e.context, start.context));
    if (stray) {
      findings.push({
        at: stray.index,
        summary: `${label} saw ${who(stray.context)} at its ${stray.call} at ${stray.at} ms`,
        entries: [start.index, stray.index],
        kind: "stray-context",
      });
    }
    const wrong = entries.find((e) => e.call === "wrong-result");
    if (wrong) {
      findings.push({
        at: wrong.index,
        summary: `${label} got another call's answer at ${wrong.at} ms: ${wrong.detail ?? "a wrong tool result"}`,
        entries: [start.index, wrong.index],
        kind: "wrong-result",
      });
    }
    // Only executes of the same runId can match: look them up rather than scan every run.
    const issued = (view.executes.get(start.context.runId as string) ?? []).filter(
      (r) =>
        r.call.index < start.index &&
        IDS.every((k) => (r.context as unknown as Record<string, unknown>)[k] === start.context[k]),
    );
    if (issued.length === 0) {
      findings.push({
        at: start.index,
        summary:
          `the agent was started at ${start.at} ms with a context no execute issued ` +
          `(user ${String(start.context.userId)}, thread ${String(start.context.threadId)}, ` +
          `run ${String(start.context.runId)}, request ${String(start.context.requestId)})`,
        entries: [start.index],
        kind: "unissued-context",
      });
      continue;
    }
    const got = start.inputCanary ?? null;
    if (!issued.some((r) => inputCanaryOf(r) === got)) {
      const owners = got === null ? [] : view.canaryOwnerIn(got);
      const run = issued[issued.length - 1] as RunView;
      findings.push({
        at: start.index,
        summary:
          `${label} was handed ` +
          (owners.length > 0
            ? `an input carrying ${canaryPhrase(owners)}`
            : got === null
              ? "an input without the canary its execute carried"
              : "an input with a canary no user owns") +
          ` instead of run ${run.runId}'s own input`,
        entries: [run.call.index, start.index],
        kind: "foreign-input",
      });
    }
  }
  spans.sort((a, b) => a.from - b.from);
  let overlapped = false;
  for (let i = 0; i < spans.length && !overlapped; i++) {
    const a = spans[i] as (typeof spans)[number];
    for (let j = i + 1; j < spans.length; j++) {
      const b = spans[j] as (typeof spans)[number];
      if (b.from > a.to) break;
      if (b.user !== a.user) {
        overlapped = true;
        break;
      }
    }
  }
  return verdictOf(
    "isolation.agent-instance",
    findings,
    overlapped,
    "no two users' runs of one agent overlapped",
  );
}

// ---------------------------------------------------------------------------------------------
// isolation.failure

function metaOf(run: RunView, key: string): string | undefined {
  const metadata = run.context?.metadata as Record<string, unknown> | undefined;
  const value = metadata && typeof metadata === "object" ? metadata[key] : undefined;
  return typeof value === "string" ? value : undefined;
}

function masked(view: HistoryView, value: unknown): string {
  let text = stableJson(value);
  for (const canary of view.canaries.values()) {
    if (canary) text = text.split(canary).join("<canary>");
  }
  return text;
}

function isFailing(run: RunView): boolean {
  const status = statusOf(run);
  if (status === "error" || status === "timeout" || status === "threw") return true;
  if (run.ret) return false;
  const steps = scriptSteps(run.request) ?? [];
  return steps.some((s) => "throw" in s || "hang" in s);
}

function durationOf(run: RunView): number {
  return run.ret ? run.ret.at - run.call.at : Number.POSITIVE_INFINITY;
}

function outcomePhrase(run: RunView): string {
  const status = statusOf(run);
  if (!run.ret) return "never returned";
  const error = run.result?.error as { code?: unknown } | undefined;
  const code = error && typeof error.code === "string" ? ` (${error.code})` : "";
  return `ended ${status}${code} after ${durationOf(run)} ms`;
}

function checkFailure(view: HistoryView, latencyToleranceMs = 0): Verdict {
  const controls = new Map<string, RunView>();
  const subjects: RunView[] = [];
  for (const run of view.runs) {
    const pair = metaOf(run, PAIR_KEY);
    const role = metaOf(run, ROLE_KEY);
    if (pair === undefined) continue;
    if (role === "control" && !controls.has(pair)) controls.set(pair, run);
    else if (role === "subject") subjects.push(run);
  }
  const findings: Finding[] = [];
  let exercised = false;
  const incomplete = Boolean(view.history.failure || view.history.truncated);
  for (const subject of subjects) {
    const control = controls.get(metaOf(subject, PAIR_KEY) as string);
    if (!control || control.userId === subject.userId) continue;
    if (control.request?.agentName !== subject.request?.agentName) continue;
    if (masked(view, control.request?.input) !== masked(view, subject.request?.input)) continue;
    if (!control.ret || (!subject.ret && incomplete)) continue;
    const until = subject.ret?.index ?? Number.POSITIVE_INFINITY;
    const failing = view.runs.filter(
      (r) =>
        r.userId !== subject.userId &&
        r.userId !== control.userId &&
        r.call.index < until &&
        isFailing(r),
    );
    if (failing.length === 0) continue;
    exercised = true;
    const sameStatus = statusOf(subject) === statusOf(control);
    const [a, b] = [durationOf(subject), durationOf(control)];
    const sameTime = a === b || Math.abs(a - b) <= latencyToleranceMs;
    const sameOutput =
      statusOf(control) !== "completed" ||
      masked(view, subject.result?.output) === masked(view, control.result?.output);
    if (sameStatus && sameTime && sameOutput) continue;
    const differs = !sameStatus
      ? ""
      : !sameTime
        ? " (its latency changed)"
        : " (with a different output)";
    const culprits = failing
      .slice(0, 3)
      .map((r) => `${r.runId} of ${r.userId} (${statusOf(r)})`)
      .join(", ");
    findings.push({
      at: subject.ret?.index ?? subject.call.index,
      summary:
        `user ${subject.userId}'s run ${subject.runId} ${outcomePhrase(subject)}${differs}, ` +
        `but its control run ${control.runId} of user ${control.userId}, with the same ` +
        `script and no failure around it, ${outcomePhrase(control)}; failing runs of other ` +
        `users before it: ${culprits}${failing.length > 3 ? ", …" : ""}`,
      entries: [
        control.call.index,
        ...(control.ret ? [control.ret.index] : []),
        ...failing.slice(0, 3).map((r) => r.call.index),
        subject.call.index,
        ...(subject.ret ? [subject.ret.index] : []),
      ],
    });
  }
  return verdictOf(
    "isolation.failure",
    findings,
    exercised,
    "no subject run paired with a control ran after another user's failing run",
  );
}
