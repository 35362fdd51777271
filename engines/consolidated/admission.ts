/**
 * `consolidated` model (execution_engine_consolidated): what the service checked before a
 * request reached the engine. None of the original's defects live here: this is the request
 * layer every engine of the service sat behind (context validation, ownership of the connection,
 * a known agent and a JSON input of bounded size), plus the JSON copies events are made of.
 */
import {
  BadRequestError,
  type ContractError,
  contextProblem,
  ForbiddenError,
  InvalidContextError,
  type JsonValue,
  type RunResult,
} from "../../harness/contract/index.ts";

/** Why `value` is not plain JSON data, or undefined when it is. */
export function jsonProblem(value: unknown, depth = 0): string | undefined {
  if (depth > 200) return "is nested too deeply";
  if (value === null || typeof value === "string" || typeof value === "boolean") return undefined;
  if (typeof value === "number")
    return Number.isFinite(value) ? undefined : "holds a non-finite number";
  if (typeof value !== "object") return `holds ${typeof value}`;
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = jsonProblem(item, depth + 1);
      if (problem) return problem;
    }
    return undefined;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return "holds an object that is not plain";
  for (const item of Object.values(value)) {
    if (item === undefined) continue;
    const problem = jsonProblem(item, depth + 1);
    if (problem) return problem;
  }
  return undefined;
}

export function byteLength(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** A fresh JSON copy (undefined and what cannot be serialised become null). */
export function jsonCopy(value: unknown): JsonValue {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? null : (JSON.parse(text) as JsonValue);
  } catch {
    return null;
  }
}

/** The value itself when it serialises within `maxBytes`, else a short marker. */
export function within(value: unknown, maxBytes: number): JsonValue {
  const copy = jsonCopy(value);
  const text = JSON.stringify(copy);
  if (byteLength(text) <= maxBytes) return copy;
  return { truncated: true, bytes: byteLength(text), preview: text.slice(0, 96) };
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

export interface AdmissionInput {
  context: unknown;
  agentName: unknown;
  input: unknown;
  /** The user a named connection is attached as, or undefined when it is not attached. */
  connectionOwner: (connectionId: string) => string | undefined;
  knownAgent: (name: string) => boolean;
  maxInputBytes: number;
}

/** The typed refusal for a request, or undefined when it may go to the engine. */
export function admissionProblem(request: AdmissionInput): ContractError | undefined {
  const problem = contextProblem(request.context);
  if (problem) return new InvalidContextError(problem);
  const context = request.context as { userId: string; connectionId?: string; metadata: unknown };
  const metadataProblem = jsonProblem(context.metadata);
  if (metadataProblem) return new InvalidContextError(`metadata ${metadataProblem}`);
  if (
    context.connectionId !== undefined &&
    request.connectionOwner(context.connectionId) !== context.userId
  ) {
    return new ForbiddenError(`connection ${context.connectionId} is not attached for this user`);
  }
  const { agentName, input } = request;
  if (typeof agentName !== "string" || !request.knownAgent(agentName)) {
    return new BadRequestError(`unknown agent ${JSON.stringify(String(agentName)).slice(0, 80)}`);
  }
  const inputProblem = jsonProblem(input);
  if (inputProblem) return new BadRequestError(`input is not JSON: it ${inputProblem}`);
  const bytes = byteLength(JSON.stringify(input) ?? "null");
  if (bytes > request.maxInputBytes) {
    return new BadRequestError(`input is ${bytes} bytes, over ${request.maxInputBytes}`);
  }
  return undefined;
}

export function refused(context: unknown, error: ContractError): RunResult {
  const runId = (context as { runId?: unknown } | null)?.runId;
  return {
    runId: typeof runId === "string" ? runId : "",
    status: "rejected",
    error: { code: error.code, message: error.message },
  };
}

/** The payload fields an event may shorten to fit maxEventBytes, most expendable first. */
const SHRINKABLE: Record<string, readonly string[]> = {
  agent_started: ["input"],
  agent_thinking: ["reasoning"],
  tool_executing: ["parameters", "toolName"],
  tool_completed: ["result", "error", "toolName"],
  agent_completed: ["result"],
  agent_error: ["message"],
};

/** Room kept for the `replayed` flag a buffered event gains on replay. */
const REPLAYED_ROOM = 20;

/** `event`, with its large payload fields cut so that it serialises within `maxBytes`. */
export function fitEvent<E extends { type: string; payload: unknown }>(
  event: E,
  maxBytes: number,
): E {
  const room = maxBytes - REPLAYED_ROOM;
  let size = byteLength(JSON.stringify(event));
  if (size <= room) return event;
  const payload = { ...(event.payload as Record<string, unknown>) };
  for (const field of SHRINKABLE[event.type] ?? []) {
    if (size <= room) break;
    const value = payload[field];
    if (value === undefined) continue;
    const valueBytes = byteLength(JSON.stringify(value));
    const budget = valueBytes - (size - room);
    payload[field] =
      typeof value === "string"
        ? cutToBytes(value, budget)
        : { truncated: true, bytes: valueBytes };
    size = byteLength(JSON.stringify({ ...event, payload }));
  }
  return { ...event, payload };
}

/** The longest prefix of `text` whose JSON string fits `budget` bytes. */
function cutToBytes(text: string, budget: number): string {
  let low = 0;
  let high = text.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (byteLength(JSON.stringify(text.slice(0, mid))) <= budget) low = mid;
    else high = mid - 1;
  }
  return text.slice(0, low);
}
