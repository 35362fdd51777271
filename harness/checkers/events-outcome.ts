/**
 * events.critical, events.terminal, events.result and events.no-late: how a run ends, and
 * whether what it emitted on the way matches what its scripted agent did.
 */
import type { RunStatus } from "../contract/index.ts";
import type { CallEntry } from "../run/history.ts";
import type { Step, ToolStep } from "../world/script.ts";
import {
  type Analysis,
  byteLength,
  describe,
  type Emission,
  type Finding,
  forecast,
  idText,
  isTerminal,
  outcomeOf,
  payloadOf,
  type RunTrace,
  receiver,
  runName,
  type ScriptForecast,
  sameJson,
  short,
  show,
  verdictFrom,
} from "./events-stream.ts";
import type { Verdict } from "./verdict.ts";

/** The input the engine was handed (the scenario's own value, which JSON may not show). */
function inputOf(analysis: Analysis, trace: RunTrace): unknown {
  const source = analysis.sourceOf(trace.run.call);
  return source?.op === "execute" ? source.request.input : trace.run.request?.input;
}

function scriptOf(analysis: Analysis, trace: RunTrace): ScriptForecast | undefined {
  if (trace.run.request?.agentName !== "scripted") return undefined;
  return forecast(inputOf(analysis, trace) as never);
}

const started = (trace: RunTrace) => trace.emissions.find((e) => e.event.type === "agent_started");
const terminals = (trace: RunTrace) => trace.emissions.filter(isTerminal);

// ---------------------------------------------------------------------------------------------
// events.critical

export function checkCritical(analysis: Analysis): Verdict {
  let exercised = false;
  const found: (Finding | undefined)[] = [];
  const maxEventBytes = analysis.history.limits?.maxEventBytes ?? Number.POSITIVE_INFINITY;
  for (const trace of analysis.traces) {
    if (trace.status !== "completed" || !trace.visible) continue;
    const script = scriptOf(analysis, trace);
    if (script?.fate !== "completes") continue;
    const thinks = script.thinks.length > 0;
    const tools = script.steps.some(
      (s) =>
        typeof s === "object" && s !== null && !("think" in s) && ("tool" in s || "parallel" in s),
    );
    if (thinks && tools) exercised = true;
    found.push(criticalOf(trace, script.steps, maxEventBytes));
  }
  return verdictFrom(
    "events.critical",
    found,
    exercised,
    "no run that thinks and calls tools completed while its owner was connected",
  );
}

function criticalOf(trace: RunTrace, steps: Step[], maxEventBytes: number): Finding | undefined {
  const name = runName(trace.run);
  const ems = trace.emissions;
  const anchor = ems[0]?.first.index ?? trace.run.ret?.index ?? trace.run.call.index;
  const at = (e: Emission | undefined) => e?.first.index ?? anchor;
  const violation = (e: Emission | undefined, summary: string, also: Emission[] = []): Finding => ({
    index: at(e),
    summary,
    entries: [...also.map((x) => x.first.index), ...(e ? [e.first.index] : [])],
  });
  const begins = ems.filter((e) => e.event.type === "agent_started");
  const ends = ems.filter((e) => e.event.type === "agent_completed");
  if (begins.length !== 1) {
    return violation(
      begins[1],
      `${name} completed but emitted ${begins.length} agent_started events`,
    );
  }
  if (ends.length !== 1) {
    return violation(
      ends[1],
      `${name} completed but emitted ${ends.length} agent_completed events`,
    );
  }
  const middle = ems.filter((e) => e.event.type !== "agent_started" && !isTerminal(e));
  let next = 0;
  let thinkNo = 0;
  const nextDesc = () => (middle[next] ? describe(middle[next] as Emission) : "nothing");
  for (let k = 0; k < steps.length; k += 1) {
    const step = steps[k];
    if (typeof step !== "object" || step === null) continue;
    const label = `step ${k + 1}`;
    if ("think" in step) {
      thinkNo += 1;
      const e = middle[next];
      if (e?.event.type !== "agent_thinking") {
        return violation(
          e ?? ends[0],
          `${name} completed, but its ${label} (think ${show(step.think, 30)}) has no agent_thinking: next came ${nextDesc()}`,
        );
      }
      const payload = payloadOf(e.event);
      const text = String(step.think);
      if (payload?.reasoning !== text && byteLength(text) + 512 < maxEventBytes) {
        return violation(
          e,
          `${name}: ${describe(e)} carries reasoning ${show(payload?.reasoning, 30)} where ${label} thought ${show(text, 30)}`,
        );
      }
      if (payload?.step !== thinkNo) {
        return violation(
          e,
          `${name}: ${describe(e)} is think ${thinkNo} of the run but says step ${show(payload?.step)}`,
        );
      }
      next += 1;
      continue;
    }
    let group: ToolStep[] | undefined;
    if ("tool" in step) group = [step];
    else if ("parallel" in step && Array.isArray(step.parallel)) group = step.parallel;
    if (!group || group.length === 0) continue;
    const slice = middle.slice(next, next + 2 * group.length);
    const problem = pairsProblem(group, slice);
    if (problem) {
      const e = problem.at ?? middle[next] ?? ends[0];
      return violation(
        e,
        `${name} completed, but its ${label} (${group.map((t) => `tool ${show(t.tool, 20)}`).join(", ")}) ${problem.why}`,
      );
    }
    next += slice.length;
  }
  const extra = middle[next];
  if (extra) {
    return violation(
      extra,
      `${name} emitted ${describe(extra)}, which matches no think or tool call of its script`,
    );
  }
  return undefined;
}

/** The tool_executing/tool_completed pairs of one tool step (or parallel group), in `slice`. */
function pairsProblem(
  group: ToolStep[],
  slice: Emission[],
): { at?: Emission; why: string } | undefined {
  const wanted = group.map((t) => String(t.tool));
  const open = new Map<string, string>();
  let executing = 0;
  for (const e of slice) {
    const payload = payloadOf(e.event);
    const callId = payload?.toolCallId;
    if (e.event.type === "tool_executing") {
      executing += 1;
      const at = wanted.indexOf(String(payload?.toolName));
      if (at < 0 || typeof callId !== "string") {
        return {
          at: e,
          why: `got ${describe(e)} for tool ${show(payload?.toolName)} instead of its tool_executing`,
        };
      }
      wanted.splice(at, 1);
      open.set(callId, String(payload?.toolName));
    } else if (e.event.type === "tool_completed") {
      if (typeof callId !== "string" || !open.has(callId)) {
        return { at: e, why: `got ${describe(e)} closing no tool_executing of the step` };
      }
      if (payload?.status !== "success") {
        return {
          at: e,
          why: `got ${describe(e)} with status ${show(payload?.status)} for a tool that succeeded`,
        };
      }
      open.delete(callId);
    } else {
      return { at: e, why: `got ${describe(e)} where its tool events should be` };
    }
  }
  if (executing < group.length) {
    return { why: `has ${executing} tool_executing of ${group.length}` };
  }
  if (open.size > 0)
    return { why: `has no tool_completed for tool ${show([...open.values()][0])}` };
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// events.terminal

/** An operation between the run's call and `before` that may legitimately end it early. */
function interruption(analysis: Analysis, trace: RunTrace, before: number): CallEntry | undefined {
  const { run } = trace;
  for (const call of interruptingCalls(analysis)) {
    if (call.index <= run.call.index || call.index >= before) continue;
    const op = call.operation;
    if (op.op === "shutdown") return call;
    if (op.op === "closeUser" && op.userId === run.userId) return call;
    if (op.op === "cancel" && op.runId === run.runId) return call;
  }
  return undefined;
}

const interrupting = new WeakMap<Analysis, CallEntry[]>();

/** The shutdown, closeUser and cancel calls, found once: a big history has few and many runs. */
function interruptingCalls(analysis: Analysis): CallEntry[] {
  let calls = interrupting.get(analysis);
  if (!calls) {
    calls = [...analysis.view.calls.values()].filter((call) =>
      ["shutdown", "closeUser", "cancel"].includes(call.operation.op),
    );
    interrupting.set(analysis, calls);
  }
  return calls;
}

export function checkTerminal(analysis: Analysis): Verdict {
  let exercised = false;
  const found: (Finding | undefined)[] = [];
  const timeoutMs = analysis.history.limits?.runTimeoutMs ?? Number.POSITIVE_INFINITY;
  for (const trace of analysis.traces) {
    const start = started(trace);
    if (!start || trace.rejected) continue;
    const name = runName(trace.run);
    const ends = terminals(trace);
    if (ends.length > 1) {
      const [a, b] = ends as [Emission, Emission];
      found.push({
        index: b.first.index,
        summary: `${name} ended twice: ${short(a)} then ${short(b)} (to ${receiver(b.first)})`,
        entries: [a.first.index, b.first.index],
      });
      continue;
    }
    const end = ends[0];
    if (!end) {
      exercised ||= trace.visible;
      const missing = missingTerminal(analysis, trace, start, timeoutMs);
      if (missing)
        found.push({
          index: missing.index,
          summary: `${name} ${missing.why}`,
          entries: [start.first.index, missing.index],
        });
      continue;
    }
    exercised = true;
    const wrong = wrongKind(analysis, trace, start, end, timeoutMs);
    if (wrong) {
      found.push({
        index: end.first.index,
        summary: `${name} ${wrong}`,
        entries: [start.first.index, end.first.index],
      });
    }
  }
  return verdictFrom(
    "events.terminal",
    found,
    exercised,
    "no started run could be followed to its end",
  );
}

function missingTerminal(
  analysis: Analysis,
  trace: RunTrace,
  start: Emission,
  timeoutMs: number,
): { index: number; why: string } | undefined {
  const { run } = trace;
  if (trace.visible && run.ret) {
    return {
      index: run.ret.index,
      why: `emitted ${short(start)} and its execute ${outcomeOf(run)}, but no agent_completed or agent_error reached user ${idText(run.userId)}'s connection`,
    };
  }
  if (trace.settled || analysis.cut) return undefined;
  // Never settled: the run should have timed out while its owner was still listening.
  const entries = analysis.history.entries;
  const stop = interruption(analysis, trace, Number.POSITIVE_INFINITY);
  const last = stop ? stop.index : entries.length - 1;
  const lastEntry = entries[last];
  if (!lastEntry || !analysis.coveredThroughout(run.userId, run.call.index, last)) return undefined;
  if (lastEntry.at > start.first.at + timeoutMs) {
    return {
      index: last,
      why: `emitted ${short(start)} at ${start.first.at} ms and had no terminal event ${lastEntry.at - start.first.at} ms later (runTimeoutMs ${timeoutMs})`,
    };
  }
  return undefined;
}

function wrongKind(
  analysis: Analysis,
  trace: RunTrace,
  start: Emission,
  end: Emission,
  timeoutMs: number,
): string | undefined {
  const payload = payloadOf(end.event);
  const kind = end.event.type === "agent_completed" ? "completed" : String(payload?.reason);
  const said = end.event.type === "agent_completed" ? short(end) : `${short(end)} (${kind})`;
  const cause = interruption(analysis, trace, end.first.index);
  if (cause) return undefined; // a cancel, closeUser or shutdown may end it any way it may
  if (kind === "cancelled") return `ended with ${said} though nobody cancelled it`;
  // Timing is known only when both were delivered live.
  if (start.first.event.replayed === true || end.first.event.replayed === true) return undefined;
  const script = scriptOf(analysis, trace);
  if (!script) return undefined;
  const elapsed = end.first.at - start.first.at;
  if (elapsed > timeoutMs) {
    return kind === "timeout"
      ? undefined
      : `ran ${elapsed} ms (runTimeoutMs ${timeoutMs}) and ended with ${said} instead of agent_error timeout`;
  }
  const natural =
    script.fate === "completes" ? "completed" : script.fate === "fails" ? "error" : "timeout";
  if (kind === natural || (elapsed === timeoutMs && kind === "timeout")) return undefined;
  const what =
    script.fate === "completes" ? "succeeds" : script.fate === "fails" ? "fails" : "never finishes";
  const expected = natural === "completed" ? "agent_completed" : `agent_error ${natural}`;
  return `ended with ${said} after ${elapsed} ms, but its agent ${what}: expected ${expected}`;
}

// ---------------------------------------------------------------------------------------------
// events.result

const STATUSES: readonly RunStatus[] = ["completed", "error", "timeout", "cancelled", "rejected"];

export function checkResult(analysis: Analysis): Verdict {
  let exercised = false;
  const found: (Finding | undefined)[] = [];
  const maxEventBytes = analysis.history.limits?.maxEventBytes ?? Number.POSITIVE_INFINITY;
  for (const trace of analysis.traces) {
    const { run } = trace;
    const ret = run.ret;
    if (!ret) continue;
    exercised = true;
    const name = runName(run);
    const at = (summary: string, more: number[] = []): Finding => ({
      index: ret.index,
      summary,
      entries: [run.call.index, ...more, ret.index],
    });
    if (ret.threw) {
      found.push(at(`the execute of ${name} ${outcomeOf(run)} instead of resolving a RunResult`));
      continue;
    }
    const status = trace.status;
    if (!run.result || !STATUSES.includes(status as RunStatus)) {
      found.push(
        at(
          `the execute of ${name} resolved ${show(ret.value)}, not a RunResult with a known status`,
        ),
      );
      continue;
    }
    const first = trace.emissions[0];
    if (status === "rejected") {
      if (first) {
        found.push({
          index: first.first.index,
          summary: `the execute of ${name} resolved rejected, yet ${receiver(first.first)} received ${describe(first)}`,
          entries: [run.call.index, first.first.index, ret.index],
        });
      }
      continue;
    }
    if (run.result.runId !== run.runId) {
      found.push(at(`the execute of ${name} resolved a result for run ${show(run.result.runId)}`));
      continue;
    }
    const end = terminals(trace)[0];
    if (!end) {
      // A queued run cancelled before it started emits nothing; any other end has a terminal
      // (a request refused before it started resolves rejected, not error).
      if (trace.visible && (started(trace) || status !== "cancelled")) {
        found.push(
          at(`the execute of ${name} resolved ${status}, but the run emitted no terminal event`),
        );
      }
      continue;
    }
    const payload = payloadOf(end.event);
    const index = Math.max(ret.index, end.first.index);
    const entries = [run.call.index, end.first.index, ret.index];
    if (end.event.type === "agent_completed") {
      if (status !== "completed") {
        found.push({
          index,
          summary: `the execute of ${name} resolved ${status}, but its terminal was ${describe(end)}`,
          entries,
        });
      } else if (!sameJson(run.result.output, payload?.result)) {
        // An output too big for one event may be cut in the event and whole in the result.
        const tooBig = byteLength(run.result.output) + 64 > maxEventBytes;
        if (!tooBig) {
          found.push({
            index,
            summary: `the execute of ${name} resolved output ${show(run.result.output, 50)}, but ${describe(end)} carried result ${show(payload?.result, 50)}`,
            entries,
          });
        }
      }
    } else if (end.event.type === "agent_error" && payload?.reason !== status) {
      found.push({
        index,
        summary: `the execute of ${name} resolved ${status}, but its terminal was ${describe(end)} with reason ${show(payload?.reason)}`,
        entries,
      });
    }
  }
  return verdictFrom("events.result", found, exercised, "no execute settled");
}

// ---------------------------------------------------------------------------------------------
// events.no-late

export function checkNoLate(analysis: Analysis): Verdict {
  let exercised = false;
  const found: (Finding | undefined)[] = [];
  for (const trace of analysis.traces) {
    const ems = trace.emissions;
    const k = ems.findIndex(isTerminal);
    if (k < 0) continue;
    exercised = true;
    const end = ems[k] as Emission;
    const late = ems[k + 1];
    if (late) {
      found.push({
        index: late.first.index,
        summary: `after ${describe(end)} at ${end.first.at} ms, ${receiver(late.first)} received ${describe(late)} at ${late.first.at} ms (${runName(trace.run)})`,
        entries: [end.first.index, late.first.index],
      });
    }
  }
  return verdictFrom("events.no-late", found, exercised, "no run's terminal event was delivered");
}
