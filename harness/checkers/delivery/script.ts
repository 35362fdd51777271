/**
 * What a scripted request implies: how many events a successful run emits, its steps, and
 * whether, left alone, it completes.
 */
import type { ExecuteRequest, JsonValue, Limits } from "../../contract/index.ts";

/** How many events a successful run of this scripted request emits, if the script says. */
export function scriptEventCount(request: ExecuteRequest | undefined): number | undefined {
  const steps = scriptSteps(request);
  if (!steps) return undefined;
  let count = 2;
  for (const step of steps) {
    if ("think" in step) count += 1;
    else if ("tool" in step) count += 2;
    else if ("parallel" in step) {
      if (!Array.isArray(step.parallel)) return undefined;
      count += 2 * step.parallel.length;
    } else if (!("sleep" in step)) return undefined;
  }
  return count;
}

type LooseStep = Record<string, JsonValue>;

export function scriptSteps(request: ExecuteRequest | undefined): LooseStep[] | undefined {
  if (request?.agentName !== "scripted") return undefined;
  const input = request.input;
  if (typeof input !== "object" || input === null || Array.isArray(input)) return undefined;
  const steps = (input as Record<string, JsonValue>).steps;
  if (!Array.isArray(steps)) return undefined;
  if (!steps.every((s) => typeof s === "object" && s !== null && !Array.isArray(s))) {
    return undefined;
  }
  return steps as LooseStep[];
}

/**
 * Whether a scripted request, left alone, completes: no throw, hang, tool error or missing tool,
 * and well within the run timeout. Undefined when the script does not say.
 */
export function predictsCompletion(
  request: ExecuteRequest | undefined,
  limits: Limits | undefined,
): boolean {
  const steps = scriptSteps(request);
  if (!steps) return false;
  let total = 0;
  const toolTime = (t: unknown): number | undefined => {
    if (typeof t !== "object" || t === null) return undefined;
    const tool = t as Record<string, unknown>;
    if (typeof tool.tool !== "string" || tool.tool.startsWith("missing")) return undefined;
    if (tool.error !== undefined) return undefined;
    const delay = tool.delayMs ?? 0;
    return typeof delay === "number" && delay >= 0 ? delay : undefined;
  };
  for (const step of steps) {
    if ("think" in step) continue;
    if ("tool" in step) {
      const t = toolTime(step);
      if (t === undefined) return false;
      total += t;
    } else if ("parallel" in step && Array.isArray(step.parallel)) {
      let longest = 0;
      for (const t of step.parallel) {
        const time = toolTime(t);
        if (time === undefined) return false;
        longest = Math.max(longest, time);
      }
      total += longest;
    } else if ("sleep" in step && typeof step.sleep === "number" && step.sleep >= 0) {
      total += step.sleep;
    } else {
      return false;
    }
  }
  const timeout = limits?.runTimeoutMs ?? 25_000;
  return total < timeout / 2;
}
