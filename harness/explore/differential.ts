/**
 * Differential checking: what each user observes of each run, on the reference engine and on the
 * engine under test, must be the same, interleaving aside. An observation is the run's result
 * (status, output, refusal code) and, when the owner was connected from the execute until it
 * settled on both engines, the run's events in order with the contract's payload fields.
 *
 * "Interleaving aside" means leaving out what a correct engine may legitimately choose or
 * what depends on which of two simultaneous timers fires first: timestamps, tool-call ids,
 * durations, message texts, the agent_started input summary, long texts an engine may cut to
 * fit maxEventBytes, and the order of tool_completed events that arrive together.
 */
import { type Analysis, analyse, type RunTrace } from "../checkers/events-stream.ts";
import type { History } from "../run/history.ts";

export interface RunObservation {
  /** `user u1's run r1 (execute #3)`. */
  name: string;
  result: unknown;
  /** Undefined when the owner was not connected throughout (then only the result counts). */
  events?: unknown[];
  /** History entries of this execute: its call and its return. */
  entries: number[];
}

export interface Difference {
  summary: string;
  /** Entries of the engine-under-test's history. */
  entries: number[];
}

const LONG_TEXT = 200;

export function observe(history: History): RunObservation[] {
  const analysis = analyse(history);
  return analysis.traces.map((trace, i) => observeRun(analysis, trace, i));
}

function observeRun(analysis: Analysis, trace: RunTrace, i: number): RunObservation {
  const { run } = trace;
  const observation: RunObservation = {
    name: `user ${run.userId}'s run ${run.runId} (execute #${i + 1})`,
    result: resultOf(trace),
    entries: run.ret ? [run.call.index, run.ret.index] : [run.call.index],
  };
  if (trace.visible && !analysis.cut) {
    observation.events = canonicalOrder(trace.emissions.map((e) => eventOf(e.event)));
  }
  return observation;
}

function resultOf(trace: RunTrace): unknown {
  const { run } = trace;
  if (!run.ret) return "never settled";
  if (run.ret.threw) return "threw";
  const result = run.result;
  if (!result) return "not a result";
  const status = result.status;
  if (status === "completed") return { status, output: normalise(result.output) };
  if (status === "rejected") {
    const error = result.error as { code?: unknown } | undefined;
    return { status, code: error?.code };
  }
  return { status };
}

function eventOf(event: { type: unknown; payload: unknown }): unknown {
  const p = (
    typeof event.payload === "object" && event.payload !== null ? event.payload : {}
  ) as Record<string, unknown>;
  switch (event.type) {
    case "agent_started":
      return { type: event.type };
    case "agent_thinking":
      return { type: event.type, reasoning: normalise(p.reasoning), step: p.step };
    case "tool_executing": {
      const parameters = p.parameters;
      // The scripted agent's invocation number counts agent starts, an engine's own business.
      const { invocation: _invocation, ...rest } =
        typeof parameters === "object" && parameters !== null && !Array.isArray(parameters)
          ? (parameters as Record<string, unknown>)
          : { invocation: undefined, value: parameters };
      return { type: event.type, toolName: p.toolName, parameters: normalise(rest) };
    }
    case "tool_completed":
      return {
        type: event.type,
        toolName: p.toolName,
        status: p.status,
        ...(p.status === "success" ? { result: normalise(p.result) } : { error: "…" }),
      };
    case "agent_completed":
      return { type: event.type, result: normalise(p.result) };
    case "agent_error":
      return { type: event.type, reason: p.reason };
    default:
      return { type: event.type };
  }
}

/**
 * Tool calls that end at one instant may complete in either order: each run of consecutive
 * tool_completed events is sorted. And when a run fails, the tool calls completing at the
 * instant of the failure may or may not be reported before the terminal (whichever the
 * scheduler handles first decides), so the completions right before an agent_error are left
 * out: the failure itself is compared.
 */
function canonicalOrder(events: unknown[]): unknown[] {
  const last = events[events.length - 1] as { type?: unknown } | undefined;
  if (last?.type === "agent_error") {
    let cut = events.length - 1;
    while (cut > 0 && (events[cut - 1] as { type?: unknown }).type === "tool_completed") cut -= 1;
    events = [...events.slice(0, cut), last];
  }
  const out: unknown[] = [];
  let block: string[] = [];
  const flush = () => {
    out.push(...block.sort().map((text) => JSON.parse(text)));
    block = [];
  };
  for (const event of events) {
    if ((event as { type?: unknown }).type === "tool_completed") block.push(JSON.stringify(event));
    else {
      flush();
      out.push(event);
    }
  }
  flush();
  return out;
}

/** Cuts long texts (an engine may truncate them to fit maxEventBytes) and sorts object keys. */
function normalise(value: unknown): unknown {
  if (typeof value === "string") return value.length > LONG_TEXT ? "<long text>" : value;
  if (Array.isArray(value)) return value.map(normalise);
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(record)
        .sort()
        .map((key) => [key, normalise(record[key])]),
    );
  }
  return value;
}

/** The first difference between what users observed on the reference and on the engine. */
export function compareObservations(
  reference: readonly RunObservation[],
  engine: readonly RunObservation[],
): Difference | undefined {
  const count = Math.min(reference.length, engine.length);
  for (let i = 0; i < count; i += 1) {
    const ref = reference[i] as RunObservation;
    const got = engine[i] as RunObservation;
    const refResult = JSON.stringify(ref.result);
    const gotResult = JSON.stringify(got.result);
    if (refResult !== gotResult) {
      return {
        summary: `${got.name} resolved ${clip(gotResult)} where the reference engine resolved ${clip(refResult)}`,
        entries: got.entries,
      };
    }
    if (!ref.events || !got.events) continue;
    const length = Math.max(ref.events.length, got.events.length);
    for (let k = 0; k < length; k += 1) {
      const a = JSON.stringify(ref.events[k] ?? null);
      const b = JSON.stringify(got.events[k] ?? null);
      if (a === b) continue;
      return {
        summary:
          `${got.name}: its owner's event ${k + 1} was ${b === "null" ? "missing" : clip(b)} ` +
          `where the reference engine sent ${a === "null" ? "nothing" : clip(a)}`,
        entries: got.entries,
      };
    }
  }
  if (reference.length !== engine.length) {
    return {
      summary: `the engine's history has ${engine.length} executes, the reference's ${reference.length}`,
      entries: [],
    };
  }
  return undefined;
}

function clip(text: string, max = 160): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
