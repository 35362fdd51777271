/**
 * What a request is: bad (by errors.bad-request), and what its scripted agent would do.
 */
import type { JsonValue } from "../../contract/index.ts";
import { parseScript } from "../../world/agent.ts";
import { SCRIPTED_AGENT, type Step, type ToolStep } from "../../world/script.ts";
import type { RunView } from "../view.ts";
import type { Analysis } from "./analysis.ts";
import { byteLength, show } from "./witness.ts";

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
