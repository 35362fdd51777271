/**
 * What a run emitted, rebuilt from what connections received, for the events.*, ctx.* and
 * errors.* checkers. One emission reaches several connections (fan-out) and may be sent again
 * from the resume buffer (`replayed`); both are folded back into one emission here, so the
 * checkers judge the stream the engine emitted rather than each connection's copy of it.
 *
 * Only deliveries are visible. A checker demands to have seen something (an agent_started, a
 * terminal) only when the run's owner had a connection attached from its execute until it
 * settled: then everything the run emitted went out live.
 */
import { Buffer } from "node:buffer";
import {
  type ClauseId,
  contextProblem,
  type JsonValue,
  REJECTION_CODES,
  type RejectionCode,
} from "../contract/index.ts";
import type { CallEntry, History, RuntimeEntry, StatsEntry } from "../run/history.ts";
import type { Operation } from "../run/scenario.ts";
import { parseScript } from "../world/agent.ts";
import { SCRIPTED_AGENT, type Step, type ToolStep } from "../world/script.ts";
import { broken, held, notChecked, type Verdict } from "./verdict.ts";
import { type EventDelivery, type HistoryView, type RunView, viewOf } from "./view.ts";

export interface Emission {
  /** The first delivery of this event, on whichever connection. */
  first: EventDelivery;
  event: EventDelivery["event"];
  /** The event as JSON, without `replayed`: two deliveries with one key are one emission. */
  key: string;
  deliveries: EventDelivery[];
}

export interface RunTrace {
  run: RunView;
  /** What execute resolved to, when it resolved to an object with a string status. */
  status: string | undefined;
  rejected: boolean;
  /** The execute resolved or rejected (its promise settled). */
  settled: boolean;
  /** Event deliveries attributed to this execute, in history order. */
  deliveries: EventDelivery[];
  /** The emissions, in the order they were first seen. */
  emissions: Emission[];
  /** The owner had a connection attached from the execute call until it settled. */
  visible: boolean;
}

export interface Analysis {
  view: HistoryView;
  history: History;
  traces: RunTrace[];
  /** Event deliveries whose runId belongs to no execute issued before them. */
  orphans: EventDelivery[];
  /** The scenario operation behind a call (the call entry holds a JSON copy of it). */
  sourceOf(call: CallEntry): Operation | undefined;
  /** Some connection of the user was attached at every index from `from` to `to`. */
  coveredThroughout(userId: string, from: number, to: number): boolean;
  /** The history stopped early, so absences prove nothing. */
  cut: boolean;
}

const cache = new WeakMap<History, Analysis>();

export function analyse(history: History): Analysis {
  const cached = cache.get(history);
  if (cached) return cached;
  const analysis = build(history);
  cache.set(history, analysis);
  return analysis;
}

function build(history: History): Analysis {
  const view = viewOf(history);
  const traces: RunTrace[] = [];
  for (const run of view.runs) {
    const status = typeof run.result?.status === "string" ? run.result.status : undefined;
    const trace: RunTrace = {
      run,
      status,
      rejected: status === "rejected",
      settled: run.ret !== undefined,
      deliveries: [],
      emissions: [],
      visible: false,
    };
    traces.push(trace);
  }

  // A delivery belongs to the latest execute of its runId issued before it that was not
  // refused, preferring one whose thread and user the envelope names (two accepted executes
  // of one runId are a ctx.unique-run defect, and their events must not be mixed up); only
  // when every such execute was refused does it belong to the latest refused one.
  const byRunId = new Map<unknown, RunTrace[]>();
  for (const trace of traces) {
    const list = byRunId.get(trace.run.runId) ?? [];
    list.push(trace);
    byRunId.set(trace.run.runId, list);
  }
  const orphans: EventDelivery[] = [];
  for (const delivery of view.events) {
    let accepted: RunTrace | undefined;
    let matching: RunTrace | undefined;
    let refused: RunTrace | undefined;
    const ts = delivery.event.ts;
    for (const trace of byRunId.get(delivery.event.runId) ?? []) {
      if (trace.run.call.index >= delivery.index) break;
      if (trace.rejected) refused = trace;
      // Issued after the event was emitted (a replayed event of an earlier run of this runId).
      else if (typeof ts === "number" && trace.run.call.at > ts && (matching ?? accepted)) continue;
      else {
        accepted = trace;
        const context = trace.run.context as unknown as Record<string, unknown>;
        if (
          context.threadId === delivery.event.threadId &&
          context.userId === delivery.event.userId
        ) {
          matching = trace;
        }
      }
    }
    const owner = matching ?? accepted ?? refused;
    if (owner) owner.deliveries.push(delivery);
    else orphans.push(delivery);
  }
  for (const trace of traces) trace.emissions = foldEmissions(trace.deliveries);

  const intervals = new Map<string, [number, number][]>();
  for (const connection of view.connections) {
    const list = intervals.get(connection.userId) ?? [];
    list.push([connection.attachIndex, connection.detachIndex ?? Number.POSITIVE_INFINITY]);
    intervals.set(connection.userId, list);
  }
  const coveredThroughout = (userId: string, from: number, to: number) => {
    const list = intervals.get(userId) ?? [];
    let point = from;
    while (point <= to) {
      let reach = -1;
      for (const [a, d] of list) if (a < point && point < d && d > reach) reach = d;
      if (reach < 0) return false;
      point = reach;
    }
    return true;
  };
  for (const trace of traces) {
    const { run } = trace;
    trace.visible =
      run.ret !== undefined &&
      typeof run.userId === "string" &&
      coveredThroughout(run.userId, run.call.index, run.ret.index);
  }

  const sources = mapSources(history);
  return {
    view,
    history,
    traces,
    orphans,
    sourceOf: (call) => sources.get(call.callId),
    coveredThroughout,
    cut: history.failure !== undefined || history.truncated !== undefined,
  };
}

/** Folds fan-out copies and replays of one event into one emission. */
function foldEmissions(deliveries: EventDelivery[]): Emission[] {
  const emissions: Emission[] = [];
  const byKey = new Map<string, Emission[]>();
  for (const delivery of deliveries) {
    const key = eventKey(delivery.event);
    const same = byKey.get(key) ?? [];
    let match: Emission | undefined;
    if (delivery.event.replayed === true) {
      match = same[0];
    } else {
      // The newest emission with this content that this connection has not had yet.
      for (let i = same.length - 1; i >= 0; i -= 1) {
        const candidate = same[i] as Emission;
        if (!candidate.deliveries.some((d) => d.connectionId === delivery.connectionId)) {
          match = candidate;
          break;
        }
      }
    }
    if (match) {
      match.deliveries.push(delivery);
      continue;
    }
    const emission: Emission = {
      first: delivery,
      event: delivery.event,
      key,
      deliveries: [delivery],
    };
    emissions.push(emission);
    same.push(emission);
    byKey.set(key, same);
  }
  return emissions;
}

function eventKey(event: EventDelivery["event"]): string {
  const { replayed: _replayed, ...rest } = event;
  return JSON.stringify(rest);
}

/**
 * The runner issues the scenario's operations sorted by time (ties in scenario order), one call
 * each, then possibly an epilogue shutdown: the n-th non-epilogue call is the n-th sorted op.
 */
function mapSources(history: History): Map<number, Operation> {
  const sources = new Map<number, Operation>();
  const ops = Array.isArray(history.scenario?.ops)
    ? [...history.scenario.ops].sort((a, b) => a.at - b.at)
    : [];
  let next = 0;
  for (const entry of history.entries) {
    if (entry.kind !== "call" || entry.epilogue) continue;
    const op = ops[next];
    next += 1;
    if (op && op.op === entry.operation.op) sources.set(entry.callId, op);
  }
  return sources;
}

// ---------------------------------------------------------------------------------------------
// Small shared helpers

/** One violation found: the entry that shows it, a one-line witness, the entries involved. */
export interface Finding {
  index: number;
  summary: string;
  entries: number[];
}

/** The earliest finding (by the entry that shows it): each clause reports its first violation. */
export function earliest(found: readonly (Finding | undefined)[]): Finding | undefined {
  let first: Finding | undefined;
  for (const f of found) if (f && (!first || f.index < first.index)) first = f;
  return first;
}

/** broken with the earliest finding; else held when exercised, else not-checked. */
export function verdictFrom(
  id: ClauseId,
  found: readonly (Finding | undefined)[],
  exercised: boolean,
  reason: string,
): Verdict {
  const first = earliest(found);
  if (first) return broken(id, first.summary, first.entries);
  return exercised ? held(id) : notChecked(id, reason);
}

export function isTerminal(emission: Emission): boolean {
  return emission.event.type === "agent_completed" || emission.event.type === "agent_error";
}

export function payloadOf(event: EventDelivery["event"]): Record<string, unknown> | undefined {
  const payload = event.payload;
  return typeof payload === "object" && payload !== null && !Array.isArray(payload)
    ? (payload as Record<string, unknown>)
    : undefined;
}

export function byteLength(value: unknown): number {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? 0 : Buffer.byteLength(text, "utf8");
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** A value rendered for a witness: short, one line. */
export function show(value: unknown, max = 60): string {
  let text: string;
  if (typeof value === "string") text = JSON.stringify(value);
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `agent_completed #5 of run r1`. */
export function describe(emission: Emission | EventDelivery): string {
  const event = emission.event;
  return `${event.type} #${String(event.seq)} of run ${String(event.runId)}`;
}

/** `agent_completed #5`, for a witness that has already named the run. */
export function short(emission: Emission | EventDelivery): string {
  return `${emission.event.type} #${String(emission.event.seq)}`;
}

/** Who got it: `user u1 on connection c1`. */
export function receiver(delivery: EventDelivery): string {
  return `user ${delivery.connectionUserId} on connection ${delivery.connectionId}`;
}

/** An id as a witness shows it: bare when it is a plain token, else quoted (and clipped). */
export function idText(value: unknown): string {
  return typeof value === "string" && /^[\w.:@-]{1,40}$/.test(value) ? value : show(value, 40);
}

export function runName(run: RunView): string {
  return `run ${idText(run.runId)} of user ${idText(run.userId)}`;
}

export function isRejectionCode(code: unknown): code is RejectionCode {
  return typeof code === "string" && (REJECTION_CODES as readonly string[]).includes(code);
}

/** The code of a resolved result's error, if any. */
export function resultErrorCode(run: RunView): unknown {
  const error = run.result?.error;
  return typeof error === "object" && error !== null
    ? (error as { code?: unknown }).code
    : undefined;
}

/** One line saying how an execute came back: `resolved completed`, `threw TypeError "x"`. */
export function outcomeOf(run: RunView): string {
  const ret = run.ret;
  if (!ret) return "never settled";
  if (ret.threw) return `threw ${ret.threw.name} ${show(ret.threw.message)}`;
  if (!run.result) return `resolved ${show(ret.value)}`;
  const code = resultErrorCode(run);
  return `resolved ${show(run.result.status)}${code !== undefined ? ` (${show(code)})` : ""}`;
}

/**
 * Why the context an execute was handed is invalid (ctx.valid), or undefined. Read from the
 * scenario's own operation when there is one, since the history's JSON copy hides metadata that
 * is not JSON (NaN becomes null).
 */
export function contextIssue(analysis: Analysis, run: RunView): string | undefined {
  const source = analysis.sourceOf(run.call);
  const context = (source?.op === "execute" ? source.context : run.context) as unknown;
  const problem = contextProblem(context);
  if (problem) return problem;
  const metadata = (context as { metadata?: unknown }).metadata;
  const notJson = jsonProblem(metadata, "metadata");
  return notJson ? `metadata is not JSON (${notJson})` : undefined;
}

export function hasValidContext(analysis: Analysis, run: RunView): boolean {
  return contextIssue(analysis, run) === undefined;
}

/** A context that differs in no id from another (so their runtimes cannot be told apart). */
export function sameIds(a: unknown, b: unknown): boolean {
  const x = (a ?? {}) as Record<string, unknown>;
  const y = (b ?? {}) as Record<string, unknown>;
  return (
    x.userId === y.userId &&
    x.threadId === y.threadId &&
    x.runId === y.runId &&
    x.requestId === y.requestId
  );
}

/** Deep equality of two JSON values, ignoring key order. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((v, i) => sameJson(v, other[i]));
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  return keys.every((k) => Object.hasOwn(y, k) && sameJson(x[k], y[k]));
}

// ---------------------------------------------------------------------------------------------
// What a request is: bad, and what its scripted agent would do

/**
 * Why a value handed to the engine as input is not JSON, or undefined. Checked on the scenario's
 * own operation, since the history holds a JSON copy (where NaN has become null).
 */
export function jsonProblem(value: unknown, path = "input", depth = 0): string | undefined {
  if (depth > 64) return undefined;
  switch (typeof value) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(value) ? undefined : `${path} is ${String(value)}`;
    case "object": {
      if (value === null) return undefined;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i += 1) {
          if (!(i in value)) return `${path}[${i}] is a hole`;
          const problem = jsonProblem(value[i], `${path}[${i}]`, depth + 1);
          if (problem) return problem;
        }
        return undefined;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        return `${path} is a ${String(proto?.constructor?.name ?? "non-plain object")}`;
      }
      for (const [key, v] of Object.entries(value)) {
        // An undefined member is absent, as JSON.stringify has it.
        if (v === undefined) continue;
        const problem = jsonProblem(v, `${path}.${key}`, depth + 1);
        if (problem) return problem;
      }
      return undefined;
    }
    default:
      return `${path} is ${typeof value}`;
  }
}

export type BadRequest = { kind: "unknown-agent" | "not-json" | "oversize"; why: string };

/** What is wrong with an execute's request by errors.bad-request, or undefined. */
export function badRequest(analysis: Analysis, run: RunView): BadRequest | undefined {
  const source = analysis.sourceOf(run.call);
  const request = (source?.op === "execute" ? source.request : run.request) as unknown;
  const agentName = (request as { agentName?: unknown } | undefined)?.agentName;
  if (agentName !== SCRIPTED_AGENT) {
    return { kind: "unknown-agent", why: `names the unknown agent ${show(agentName)}` };
  }
  const input = (request as { input?: unknown }).input;
  const problem = jsonProblem(input);
  if (problem) return { kind: "not-json", why: `has an input that is not JSON (${problem})` };
  const bytes = byteLength(input);
  const max = analysis.history.limits?.maxInputBytes;
  if (typeof max === "number" && bytes > max) {
    return { kind: "oversize", why: `has an input of ${bytes} bytes (maxInputBytes ${max})` };
  }
  return undefined;
}

export type Fate = "completes" | "fails" | "hangs";

export interface ScriptForecast {
  fate: Fate;
  /** Virtual milliseconds the agent needs to reach its fate (completes or fails). */
  durationMs: number;
  thinks: string[];
  /** The script as steps, for events.critical. */
  steps: Step[];
  /** Calls of tools whose names cannot resolve (`missing…`). */
}

/** What the scripted agent will do with this input, given every runtime call succeeds. */
export function forecast(input: JsonValue | undefined): ScriptForecast {
  let steps: Step[];
  try {
    steps = parseScript(input as JsonValue).steps;
  } catch {
    return { fate: "fails", durationMs: 0, thinks: [], steps: [] };
  }
  let duration = 0;
  const thinks: string[] = [];
  for (const step of steps) {
    if (typeof step !== "object" || step === null) continue;
    if ("think" in step) thinks.push(String(step.think));
    else if ("tool" in step) {
      const fails = toolFails(step);
      duration += delayOf(step);
      if (fails) return { fate: "fails", durationMs: duration, thinks, steps };
    } else if ("parallel" in step && Array.isArray(step.parallel)) {
      const failing = step.parallel.filter(toolFails).map(delayOf);
      if (failing.length > 0) {
        return { fate: "fails", durationMs: duration + Math.min(...failing), thinks, steps };
      }
      duration += Math.max(0, ...step.parallel.map(delayOf));
    } else if ("sleep" in step) duration += Number(step.sleep) || 0;
    else if ("throw" in step) return { fate: "fails", durationMs: duration, thinks, steps };
    else if ("hang" in step)
      return { fate: "hangs", durationMs: Number.POSITIVE_INFINITY, thinks, steps };
  }
  return { fate: "completes", durationMs: duration, thinks, steps };
}

function toolFails(step: ToolStep): boolean {
  return step.error !== undefined || String(step.tool).startsWith("missing");
}

function delayOf(step: ToolStep): number {
  const delay = Number(step.delayMs);
  return Number.isFinite(delay) && delay > 0 ? delay : 0;
}

// ---------------------------------------------------------------------------------------------
// What a refused execute left behind

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
