/**
 * The scripted agent `scripted`: runs the steps of its input (think, tool, parallel tools,
 * sleep, throw, hang) through the engine's runtime, reporting to the observer every context it
 * is shown. It keeps no state between runs, so any cross-run state is the engine's.
 */
import type { Agent, AgentRuntime, JsonValue } from "../contract/index.ts";
import type { VirtualClock } from "./clock.ts";
import type { WorldObserver } from "./observer.ts";
import {
  isToolStep,
  SCRIPTED_AGENT,
  type ScriptInput,
  type Step,
  type ToolStep,
} from "./script.ts";
import type { ToolScript } from "./tools.ts";

export class ScriptedAgent implements Agent {
  readonly name = SCRIPTED_AGENT;
  #invocations = 0;

  constructor(
    private readonly clock: VirtualClock,
    private readonly observer: WorldObserver,
  ) {}

  async run(runtime: AgentRuntime): Promise<JsonValue> {
    const invocation = ++this.#invocations;
    const script = parseScript(runtime.input);
    const context = runtime.context;
    this.observer.runtimeCall(invocation, "start", context, script.canary ?? null);
    this.observer.track("runtime", runtime, String(context?.userId), String(context?.runId));
    const results: JsonValue[] = [];
    let steps = 0;
    for (const step of script.steps) {
      // Every step waits for the clock, so the runner (and later a scheduler) decides how
      // concurrent runs interleave.
      await this.#sleep(context, 0);
      if (runtime.signal.aborted) throw abortedError();
      await this.#step(runtime, invocation, step, results);
      steps += 1;
    }
    this.observer.runtimeCall(invocation, "end", runtime.context);
    return { canary: script.canary ?? null, steps, results };
  }

  async #step(runtime: AgentRuntime, invocation: number, step: Step, results: JsonValue[]) {
    if ("think" in step) {
      this.observer.runtimeCall(invocation, "think", runtime.context);
      await runtime.think(step.think);
    } else if (isToolStep(step)) {
      results.push(await this.#tool(runtime, invocation, step));
    } else if ("parallel" in step) {
      const all = await Promise.all(step.parallel.map((t) => this.#tool(runtime, invocation, t)));
      results.push(...all);
    } else if ("sleep" in step) {
      await this.#sleep(runtime.context, step.sleep, step.ignoreAbort ? undefined : runtime.signal);
    } else if ("throw" in step) {
      throw new Error(step.throw);
    } else if ("hang" in step) {
      // Never settles and holds no timer: only the engine's timeout or cancel ends the run.
      await new Promise<never>(() => {});
    }
  }

  /** A clock sleep the observer knows about: the agent holds its run's objects meanwhile. */
  #sleep(context: unknown, ms: number, signal?: AbortSignal): Promise<void> {
    const runId = runIdOf(context);
    this.observer.working?.(runId, 1);
    return this.clock.sleep(ms, signal).finally(() => this.observer.working?.(runId, -1));
  }

  async #tool(runtime: AgentRuntime, invocation: number, step: ToolStep): Promise<JsonValue> {
    this.observer.runtimeCall(invocation, "tool-call", runtime.context);
    const script: ToolScript = { args: step.args ?? null, invocation };
    if (step.delayMs !== undefined) script.delayMs = step.delayMs;
    if (step.result !== undefined) script.result = step.result;
    if (step.error !== undefined) script.error = step.error;
    if (step.ignoreAbort) script.ignoreAbort = true;
    const result = await runtime.tool(step.tool, script as unknown as JsonValue);
    const mismatch = wrongResult(step, result);
    if (mismatch)
      this.observer.runtimeCall(invocation, "wrong-result", runtime.context, undefined, mismatch);
    return result;
  }
}

export function parseScript(input: JsonValue): ScriptInput {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new Error("scripted agent input must be an object {canary?, steps}");
  }
  const steps = (input as Record<string, unknown>).steps;
  if (!Array.isArray(steps)) throw new Error("scripted agent input has no steps array");
  const canary = (input as Record<string, unknown>).canary;
  return { canary: typeof canary === "string" ? canary : undefined, steps: steps as Step[] };
}

function runIdOf(context: unknown): string | undefined {
  const runId = (context as { runId?: unknown } | null | undefined)?.runId;
  return typeof runId === "string" ? runId : undefined;
}

function abortedError(): Error {
  const error = new Error("run aborted");
  error.name = "AbortError";
  return error;
}

/**
 * The scripted tool answers `{tool, value}` from the call's own script; anything else handed to
 * the agent came from another call (a shared results object) or was made up by the engine.
 */
function wrongResult(step: ToolStep, result: JsonValue): string | undefined {
  const expected = JSON.stringify(step.result ?? null);
  const got = result as { tool?: unknown; value?: unknown } | null;
  if (typeof got === "object" && got !== null && got.tool === step.tool) {
    if (JSON.stringify(got.value ?? null) === expected) return undefined;
  }
  const shown = JSON.stringify(typeof got === "object" && got !== null ? (got.value ?? got) : got);
  return `tool "${step.tool}" should have returned ${expected.slice(0, 80)} but the agent was handed ${String(shown).slice(0, 80)}`;
}
